//! onego's persistence. One store API over SQLite (the zero-setup default) and PostgreSQL (production,
//! shared by several onego processes).
//!
//! - Writes go through one writer thread per process that batches every command waiting into one
//!   transaction (group commit): one fsync for many commands, and an answer only after the commit.
//! - Reads use a small pool of connections on blocking threads.
//! - [`engine::Engine`] is the path of a command: authorise → load → decide → apply → commit once.

pub mod aggregate;
pub mod agreement;
pub mod case;
pub mod catalog;
pub mod certificate;
pub mod demo;
pub mod engine;
pub mod hotline;
pub mod inbox;
pub mod keys;
pub mod outbox;
pub mod project;
mod query;
mod repos;
pub mod routing;
pub mod sql;
pub mod stats;
pub mod ticket;
pub mod uploads;
pub mod users;
mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use parking::Mutex;
pub use repos::{Cases, CatalogStore, Demo, HotlineStore, Inbox, Stats, Tickets, Uploads, Users};
pub use sql::{Conn, Dialect, Row, Value};

mod parking {
    /// A poisoned lock only means another thread panicked while holding it; the data (a pool of
    /// connections) is still usable, so take it rather than spread the panic.
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);
    impl<T> Mutex<T> {
        pub(crate) fn new(v: T) -> Self {
            Mutex(std::sync::Mutex::new(v))
        }
        pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {0}")]
    Connect(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("a database constraint was violated: {0}")]
    Constraint(String),
    #[error("the record was changed by someone else at the same time; reload and try again")]
    Conflict,
    #[error("unexpected data in the database: {0}")]
    Data(String),
    #[error("{0}")]
    Url(String),
    #[error("the store is shutting down")]
    Closed,
    /// Text that no database column may hold (NUL); refused before it reaches the database, on both
    /// backends alike. The edge refuses such input first; this is the last line.
    #[error("the text contains a NUL character, which cannot be stored; remove it and try again")]
    InvalidText,
    /// An account's uploads of the last 24 hours would pass its quota.
    #[error(
        "you have uploaded {used_mb} MB in the last 24 hours; the limit is {limit_mb} MB. Try again tomorrow, or hand the documents in at the window"
    )]
    Quota { used_mb: i64, limit_mb: i64 },
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Data(e.to_string())
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite { path: String },
    Postgres { url: String },
}

impl Location {
    /// `sqlite://onego.sqlite`, `sqlite:onego.sqlite`, a bare path, or `postgres://user@host/db`.
    pub fn parse(url: &str) -> Result<Location, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres { url: url.to_owned() });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::Url(format!(
                "\"{}\" is not a database location; give a SQLite file path (sqlite://onego.sqlite) or a PostgreSQL URL (postgres://user@host/db)",
                sql::redact(url)
            )));
        }
        if path == ":memory:" {
            return Err(StoreError::Url(
                "an in-memory SQLite database cannot be shared by the writer and readers; give a file path"
                    .into(),
            ));
        }
        Ok(Location::Sqlite {
            path: path.to_owned(),
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite { path } => format!("SQLite {path}"),
            Location::Postgres { url } => format!("PostgreSQL {}", sql::redact(url)),
        }
    }

    pub(crate) fn connect(&self, writer: bool) -> Result<Box<dyn Conn>, StoreError> {
        Ok(match self {
            Location::Sqlite { path } => Box::new(sql::SqliteConn::open(path, writer)?),
            Location::Postgres { url } => Box::new(sql::PgConn::open(url)?),
        })
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    pub commits: AtomicU64,
    pub committed_writes: AtomicU64,
    pub conflicts: AtomicU64,
    pub reads: AtomicU64,
    /// SQLite: frames in the write-ahead log at the last background checkpoint.
    pub wal_frames: AtomicU64,
    /// SQLite: checkpoints the writer ran itself to let the log start over.
    pub wal_resets: AtomicU64,
}

/// SQLite: when the write-ahead log holds more frames than this (about 16 MB of 4 KiB pages), the writer
/// finishes the checkpoint itself between two group commits, so the log starts over from its beginning.
pub const WAL_RESET_FRAMES: u64 = 4_096;

struct Inner {
    location: Location,
    dialect: Dialect,
    readers: mpsc::Sender<ReadJob>,
    writer: writer::WriterHandle,
    metrics: Arc<StoreMetrics>,
}

/// The store: cheap to clone, shared by every request.
///
/// Every database connection lives on a thread of the store's own (one writer, a few readers) and
/// never on an async runtime's thread: the synchronous PostgreSQL client runs a small runtime of its
/// own, which must not nest inside another. Callers hand closures to those threads.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

type ReadJob = Box<dyn FnOnce(Result<&mut dyn Conn, StoreError>) -> bool + Send>;

/// Reader threads: enough for a 2-core machine's web requests while the writer works.
const READERS: usize = 4;

const MIGRATIONS_SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_uploads.sql")),
    (3, include_str!("../migrations/sqlite/0003_holidays.sql")),
    (4, include_str!("../migrations/sqlite/0004_tickets.sql")),
    (5, include_str!("../migrations/sqlite/0005_security.sql")),
    (6, include_str!("../migrations/sqlite/0006_aggregates.sql")),
    (7, include_str!("../migrations/sqlite/0007_applicant_names.sql")),
    (8, include_str!("../migrations/sqlite/0008_outbox.sql")),
    (9, include_str!("../migrations/sqlite/0009_message_language.sql")),
    (10, include_str!("../migrations/sqlite/0010_certificates.sql")),
    (
        11,
        include_str!("../migrations/sqlite/0011_certificate_types.sql"),
    ),
    (12, include_str!("../migrations/sqlite/0012_projects.sql")),
    (13, include_str!("../migrations/sqlite/0013_agreements.sql")),
    (14, include_str!("../migrations/sqlite/0014_reform.sql")),
];
const MIGRATIONS_POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_uploads.sql")),
    (3, include_str!("../migrations/postgres/0003_holidays.sql")),
    (4, include_str!("../migrations/postgres/0004_tickets.sql")),
    (5, include_str!("../migrations/postgres/0005_security.sql")),
    (6, include_str!("../migrations/postgres/0006_aggregates.sql")),
    (7, include_str!("../migrations/postgres/0007_applicant_names.sql")),
    (8, include_str!("../migrations/postgres/0008_outbox.sql")),
    (
        9,
        include_str!("../migrations/postgres/0009_message_language.sql"),
    ),
    (10, include_str!("../migrations/postgres/0010_certificates.sql")),
    (
        11,
        include_str!("../migrations/postgres/0011_certificate_types.sql"),
    ),
    (12, include_str!("../migrations/postgres/0012_projects.sql")),
    (13, include_str!("../migrations/postgres/0013_agreements.sql")),
    (14, include_str!("../migrations/postgres/0014_reform.sql")),
];

/// The schema version a migrated database is at: one migration per version, on both backends.
pub const SCHEMA_VERSION: usize = MIGRATIONS_SQLITE.len();
const _: () = assert!(MIGRATIONS_SQLITE.len() == MIGRATIONS_POSTGRES.len());

fn reader_loop(location: Location, jobs: Arc<Mutex<mpsc::Receiver<ReadJob>>>) {
    let mut conn: Option<Box<dyn Conn>> = None;
    loop {
        let job = match jobs.lock().recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if conn.is_none() {
            match location.connect(false) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    job(Err(e));
                    continue;
                }
            }
        }
        if let Some(c) = conn.as_mut()
            && !job(Ok(c.as_mut()))
        {
            // A connection that failed at the database level may be broken: open a new one next time.
            conn = None;
        }
    }
}

/// Copies the SQLite write-ahead log back into the database file every 100 ms, off the writer's path;
/// stops when the store is gone. PASSIVE never blocks the writer, but under a steady stream of commits
/// it never quite catches up, and a log is only started over once it has been copied completely; so this
/// thread reports how long the log is, and past [`WAL_RESET_FRAMES`] the writer copies the last few
/// frames itself between two group commits (see `writer.rs`), which lets the next commit start the log
/// over. The log stays near 16–30 MB instead of growing for as long as the load lasts.
fn checkpoint_loop(location: Location, alive: std::sync::Weak<StoreMetrics>) {
    let Ok(mut conn) = location.connect(false) else {
        return;
    };
    while let Some(metrics) = alive.upgrade() {
        let log_frames = conn
            .query_one("PRAGMA wal_checkpoint(PASSIVE)", &[])
            .ok()
            .flatten()
            .and_then(|r| r.int(1).ok())
            .unwrap_or(0);
        metrics
            .wal_frames
            .store(log_frames.max(0) as u64, Ordering::Relaxed);
        drop(metrics);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

impl Store {
    /// Opens the database, applies pending migrations and starts the writer and reader threads.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let location = Location::parse(url)?;
        let metrics = Arc::new(StoreMetrics::default());
        let (writer, dialect) = writer::start(location.clone(), metrics.clone())?;
        let (tx, rx) = mpsc::channel::<ReadJob>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..READERS {
            let (location, rx) = (location.clone(), rx.clone());
            std::thread::Builder::new()
                .name(format!("onego-reader-{i}"))
                .spawn(move || reader_loop(location, rx))
                .map_err(|e| StoreError::Database(format!("cannot start a reader thread: {e}")))?;
        }
        if let Location::Sqlite { .. } = location {
            let location = location.clone();
            let weak = Arc::downgrade(&metrics);
            std::thread::Builder::new()
                .name("onego-checkpoint".into())
                .spawn(move || checkpoint_loop(location, weak))
                .map_err(|e| StoreError::Database(format!("cannot start the checkpoint thread: {e}")))?;
        }
        Ok(Store {
            inner: Arc::new(Inner {
                location,
                dialect,
                readers: tx,
                writer,
                metrics,
            }),
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    pub fn metrics(&self) -> &StoreMetrics {
        &self.inner.metrics
    }

    fn send_read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
        reply: impl FnOnce(Result<T, StoreError>) + Send + 'static,
    ) -> Result<(), StoreError> {
        let metrics = self.inner.metrics.clone();
        let job: ReadJob = Box::new(move |conn| match conn {
            Err(e) => {
                reply(Err(e));
                true
            }
            Ok(c) => {
                metrics.reads.fetch_add(1, Ordering::Relaxed);
                let result = f(c);
                let healthy = !matches!(result, Err(StoreError::Database(_)) | Err(StoreError::Connect(_)));
                reply(result);
                healthy
            }
        });
        self.inner.readers.send(job).map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on a reader thread and waits for it (for callers without a runtime).
    pub(crate) fn read_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::channel();
        self.send_read(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a reader thread.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send_read(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` in its own write transaction on the writer thread and answers after the commit.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.inner.writer.write(f).await
    }

    /// The same, for callers without a runtime.
    #[cfg(feature = "raw")]
    pub(crate) fn write_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.inner.writer.write_blocking(f)
    }

    /// Raw access for the store's own tests and the test-support crate (feature `raw`): a closure over a
    /// connection on a reader thread. Nothing else outside the store may hold a connection.
    #[cfg(feature = "raw")]
    pub async fn raw_read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read(f).await
    }

    /// The same in a write transaction (feature `raw`).
    #[cfg(feature = "raw")]
    pub async fn raw_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write(f).await
    }

    /// The same, blocking (feature `raw`).
    #[cfg(feature = "raw")]
    pub fn raw_write_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write_blocking(f)
    }

    /// The same, blocking, on a reader (feature `raw`).
    #[cfg(feature = "raw")]
    pub fn raw_read_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.read_blocking(f)
    }

    /// Commits one aggregate's write with whatever else is waiting (group commit).
    pub async fn commit(&self, write: aggregate::Write) -> Result<(), StoreError> {
        self.inner.writer.commit(write).await
    }

    /// Commits writes to several aggregates together, all or none (see `WriterHandle::commit_all`).
    pub async fn commit_all(&self, writes: Vec<aggregate::Write>) -> Result<(), StoreError> {
        match writes.len() {
            1 => self.commit(writes.into_iter().next().expect("one write")).await,
            _ => self.inner.writer.commit_all(writes).await,
        }
    }
}

/// The PostgreSQL advisory-lock key of a named lock (FNV-1a of "onego:" and the name).
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "onego:".bytes().chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Held while one process does something no other process may do at the same time (loading the demo
/// city); released when dropped. PostgreSQL: a session advisory lock, held by a thread of its own (the
/// synchronous client must not be dropped on an async runtime). SQLite: an exclusive lock on a file
/// beside the database.
pub struct ExclusiveGuard {
    _release: Option<mpsc::Sender<()>>,
    _file: Option<std::fs::File>,
}

impl Store {
    /// Waits until no other process holds the lock `name`, then holds it until the guard is dropped.
    /// Blocks the calling thread: call it at start-up, not from async code.
    pub fn exclusive(&self, name: &str) -> Result<ExclusiveGuard, StoreError> {
        match &self.inner.location {
            Location::Postgres { .. } => {
                let (location, key) = (self.inner.location.clone(), lock_key(name));
                let (locked_tx, locked_rx) = mpsc::channel::<Result<(), StoreError>>();
                let (release_tx, release_rx) = mpsc::channel::<()>();
                std::thread::Builder::new()
                    .name("onego-lock".into())
                    .spawn(move || {
                        let locked = location.connect(false).and_then(|mut conn| {
                            conn.execute("SELECT pg_advisory_lock($1)", &[Value::Int(key)])?;
                            Ok(conn)
                        });
                        match locked {
                            Ok(conn) => {
                                let _ = locked_tx.send(Ok(()));
                                // Until the guard is dropped (or the process ends); closing the
                                // connection releases the lock.
                                let _ = release_rx.recv();
                                drop(conn);
                            }
                            Err(e) => {
                                let _ = locked_tx.send(Err(e));
                            }
                        }
                    })
                    .map_err(|e| StoreError::Database(format!("cannot start the lock thread: {e}")))?;
                locked_rx.recv().map_err(|_| StoreError::Closed)??;
                Ok(ExclusiveGuard {
                    _release: Some(release_tx),
                    _file: None,
                })
            }
            Location::Sqlite { path } => {
                let lock_path = format!("{path}.{name}.lock");
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| {
                        StoreError::Database(format!("cannot open the lock file {lock_path}: {e}"))
                    })?;
                file.lock()
                    .map_err(|e| StoreError::Database(format!("cannot lock {lock_path}: {e}")))?;
                Ok(ExclusiveGuard {
                    _release: None,
                    _file: Some(file),
                })
            }
        }
    }
}

/// Applies every migration the database has not seen, each in its own transaction. On PostgreSQL the
/// whole run holds an advisory lock, so servers started at the same moment on a fresh database migrate
/// one after the other instead of racing to create the same tables.
pub fn migrate(conn: &mut dyn Conn) -> Result<Vec<i64>, StoreError> {
    if conn.dialect() == Dialect::Postgres {
        let key = Value::Int(lock_key("migrate"));
        conn.execute("SELECT pg_advisory_lock($1)", std::slice::from_ref(&key))?;
        let result = migrate_locked(conn);
        let unlocked = conn.execute("SELECT pg_advisory_unlock($1)", &[key]);
        let applied = result?;
        unlocked?;
        return Ok(applied);
    }
    migrate_locked(conn)
}

fn migrate_locked(conn: &mut dyn Conn) -> Result<Vec<i64>, StoreError> {
    conn.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")?;
    let migrations = match conn.dialect() {
        Dialect::Sqlite => MIGRATIONS_SQLITE,
        Dialect::Postgres => MIGRATIONS_POSTGRES,
    };
    let mut applied = Vec::new();
    for (version, sql) in migrations {
        conn.begin()?;
        let done = conn.query_one(
            "SELECT version FROM schema_migrations WHERE version = $1",
            &[Value::Int(*version)],
        )?;
        if done.is_some() {
            conn.rollback()?;
            continue;
        }
        let result = conn.batch(sql).and_then(|_| {
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[Value::Int(*version), Value::Int(now_millis())],
            )
        });
        match result {
            Ok(_) => {
                conn.commit()?;
                applied.push(*version);
            }
            Err(e) => {
                let _ = conn.rollback();
                return Err(e);
            }
        }
    }
    Ok(applied)
}

/// A local date as the integer `yyyymmdd`, the form day columns are stored and filtered in.
pub fn day_number(d: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// The wall clock, for bookkeeping columns only; rules get their time passed in.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What one round of housekeeping removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Uploads no case or request took in time.
    pub orphan_uploads: u64,
    pub expired_sessions: u64,
}

/// Removes what nothing needs any more: orphaned uploads, expired sessions, stale log-in failures.
/// Safe to run on any process at any time (`serve` does every ten minutes).
pub fn housekeeping(conn: &mut dyn Conn, now: i64) -> Result<Swept, StoreError> {
    Ok(Swept {
        orphan_uploads: uploads::sweep_orphans(conn, now)?,
        expired_sessions: users::sweep(conn, now)?,
    })
}

/// The configuration generation: every change to what processes load at start (catalog, processes,
/// departments, hotline categories and SLA profiles, grid areas, holiday files) bumps it in the same
/// transaction, so every onego process sharing the database sees that its copy is old and reloads it.
pub fn bump_config(conn: &mut dyn Conn) -> Result<i64, StoreError> {
    reserve(conn, "config", 1)
}

/// The configuration generation now (0 before the first change).
pub fn config_generation(conn: &mut dyn Conn) -> Result<i64, StoreError> {
    Ok(conn
        .query_one("SELECT value FROM sequences WHERE name = 'config'", &[])?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

/// Reserves `n` values of a named sequence; returns the first. Used in blocks so most ids come from
/// memory, and shared safely by several processes.
pub fn reserve(conn: &mut dyn Conn, name: &str, n: i64) -> Result<i64, StoreError> {
    let row = conn.query_one(
        "UPDATE sequences SET value = value + $2 WHERE name = $1 RETURNING value",
        &[name.into(), Value::Int(n)],
    )?;
    let end = match row {
        Some(r) => r.int(0)?,
        None => {
            conn.execute(
                "INSERT INTO sequences (name, value) VALUES ($1, $2)",
                &[name.into(), Value::Int(n)],
            )?;
            n
        }
    };
    Ok(end - n + 1)
}
