//! The writer thread and its group commit.
//!
//! Case commands arrive on a channel; the writer takes every one waiting (up to a batch limit), writes
//! them all in one transaction with multi-row statements, commits once, and only then answers each
//! caller. Durability stays full (every answered command is on disk); throughput comes from sharing the
//! commit. A write whose expected version no longer matches gets `Conflict` and changes nothing; the
//! others in the batch commit. If the batch fails for any other reason, each write is retried alone so
//! one bad write cannot sink its neighbours.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use tokio::sync::oneshot;

use crate::aggregate::{self, Write};
use crate::{Conn, Dialect, Location, StoreError, StoreMetrics};

/// Most case writes in one transaction.
const MAX_BATCH: usize = 512;

type GenericJob = Box<dyn FnOnce(&mut dyn Conn) + Send>;

enum Msg {
    Generic(GenericJob),
    Aggregate(Box<Write>, oneshot::Sender<Result<(), StoreError>>),
}

pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Msg>,
}

/// PostgreSQL writers working side by side. Each has its own connection and group commit; the
/// database serialises only what truly collides (the same case), and the version check turns that
/// into a retry. SQLite allows one writer, so it gets one.
const POSTGRES_WRITERS: usize = 3;

type SharedReceiver = Arc<crate::parking::Mutex<mpsc::Receiver<Msg>>>;

/// Starts the writer threads: the first connects, applies migrations and reports the dialect; then
/// all serve writes from one queue.
pub(crate) fn start(
    location: Location,
    metrics: Arc<StoreMetrics>,
) -> Result<(WriterHandle, Dialect), StoreError> {
    let (tx, rx) = mpsc::channel::<Msg>();
    let rx: SharedReceiver = Arc::new(crate::parking::Mutex::new(rx));
    let (ready_tx, ready_rx) = mpsc::channel::<Result<Dialect, StoreError>>();
    let spawn = |n: usize, migrate: bool, ready: mpsc::Sender<Result<Dialect, StoreError>>| {
        let (location, rx, metrics) = (location.clone(), rx.clone(), metrics.clone());
        std::thread::Builder::new()
            .name(format!("onego-writer-{n}"))
            .spawn(move || {
                let connected = location.connect(true).and_then(|mut c| {
                    if migrate {
                        crate::migrate(c.as_mut())?;
                    }
                    Ok(c)
                });
                let mut conn = match connected {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(conn.dialect()));
                drop(ready);
                run(conn.as_mut(), &rx, &metrics);
            })
            .map_err(|e| StoreError::Database(format!("cannot start a writer thread: {e}")))
    };
    spawn(0, true, ready_tx.clone())?;
    let dialect = ready_rx.recv().map_err(|_| StoreError::Closed)??;
    if dialect == Dialect::Postgres {
        for n in 1..POSTGRES_WRITERS {
            spawn(n, false, ready_tx.clone())?;
            ready_rx.recv().map_err(|_| StoreError::Closed)??;
        }
    }
    Ok((WriterHandle { tx }, dialect))
}

fn in_transaction<T>(
    conn: &mut dyn Conn,
    f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.begin()?;
    match f(conn) {
        Ok(v) => match conn.commit() {
            Ok(()) => Ok(v),
            Err(e) => {
                let _ = conn.rollback();
                Err(e)
            }
        },
        Err(e) => {
            let _ = conn.rollback();
            Err(e)
        }
    }
}

fn run(conn: &mut dyn Conn, rx: &SharedReceiver, metrics: &StoreMetrics) {
    let mut writes: Vec<Write> = Vec::new();
    let mut replies: Vec<oneshot::Sender<Result<(), StoreError>>> = Vec::new();
    let mut generic: Vec<GenericJob> = Vec::new();
    loop {
        {
            // Hold the queue only while taking from it; the work happens after.
            let queue = rx.lock();
            let Ok(first) = queue.recv() else { return };
            let mut pending = Some(first);
            // Take what is waiting now; never wait for more (latency matters more than batch size).
            loop {
                let msg = match pending.take() {
                    Some(m) => m,
                    None => match queue.try_recv() {
                        Ok(m) => m,
                        Err(_) => break,
                    },
                };
                match msg {
                    Msg::Generic(job) => generic.push(job),
                    Msg::Aggregate(w, reply) => {
                        writes.push(*w);
                        replies.push(reply);
                        if writes.len() >= MAX_BATCH {
                            break;
                        }
                    }
                }
            }
        }
        for job in generic.drain(..) {
            job(conn);
        }
        if writes.is_empty() {
            finish_checkpoint_if_long(conn, metrics);
            continue;
        }
        let results = match in_transaction(conn, |c| aggregate::write_batch(c, &writes)) {
            Ok(results) => results,
            Err(_) => {
                // Something other than a version conflict failed: retry each write alone.
                writes
                    .iter()
                    .map(|w| {
                        in_transaction(conn, |c| aggregate::write_batch(c, std::slice::from_ref(w)))
                            .and_then(|mut r| r.pop().unwrap_or(Ok(())))
                    })
                    .collect()
            }
        };
        metrics.commits.fetch_add(1, Ordering::Relaxed);
        for (result, reply) in results.into_iter().zip(replies.drain(..)) {
            match &result {
                Ok(()) => metrics.committed_writes.fetch_add(1, Ordering::Relaxed),
                Err(StoreError::Conflict) => metrics.conflicts.fetch_add(1, Ordering::Relaxed),
                Err(_) => 0,
            };
            let _ = reply.send(result);
        }
        writes.clear();
        finish_checkpoint_if_long(conn, metrics);
    }
}

/// SQLite: when the background checkpoint reports a long write-ahead log, copy what it has not yet
/// copied here, between two group commits (the callers of the last batch are already answered). With no
/// writer running beside it this checkpoint completes, and the next commit starts the log over. The
/// background thread has copied almost everything, so this costs little more than one sync of the file.
fn finish_checkpoint_if_long(conn: &mut dyn Conn, metrics: &StoreMetrics) {
    if conn.dialect() != Dialect::Sqlite
        || metrics.wal_frames.load(Ordering::Relaxed) <= crate::WAL_RESET_FRAMES
    {
        return;
    }
    if conn.query_one("PRAGMA wal_checkpoint(PASSIVE)", &[]).is_ok() {
        metrics.wal_resets.fetch_add(1, Ordering::Relaxed);
    }
    // Until the background thread measures again.
    metrics.wal_frames.store(0, Ordering::Relaxed);
}

impl WriterHandle {
    fn generic<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<oneshot::Receiver<Result<T, StoreError>>, StoreError> {
        let (tx, rx) = oneshot::channel();
        let job: GenericJob = Box::new(move |conn| {
            let _ = tx.send(in_transaction(conn, f));
        });
        self.tx.send(Msg::Generic(job)).map_err(|_| StoreError::Closed)?;
        Ok(rx)
    }

    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.generic(f)?.await.map_err(|_| StoreError::Closed)?
    }

    #[cfg(feature = "raw")]
    pub(crate) fn write_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::channel();
        let job: GenericJob = Box::new(move |conn| {
            let _ = tx.send(in_transaction(conn, f));
        });
        self.tx.send(Msg::Generic(job)).map_err(|_| StoreError::Closed)?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Commits several aggregates' writes in one transaction of their own, all or none: a command's
    /// own write with what it causes in other aggregates (a decision and the certificate it issues, a
    /// submission and the uses of the certificates it attaches). A conflict in any rolls back all.
    pub(crate) async fn commit_all(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.write(move |c| {
            for result in aggregate::write_batch(c, &writes)? {
                result?;
            }
            Ok(())
        })
        .await
    }

    pub(crate) async fn commit(&self, write: Write) -> Result<(), StoreError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Msg::Aggregate(Box::new(write), tx))
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}
