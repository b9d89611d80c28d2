//! The one path of a command, generic over every kind of aggregate: load (from a cache that never
//! answers unproven), decide, apply, commit once — deciding again on the committed state when someone
//! else changed it meanwhile.

use std::sync::Arc;

use onego_calendar::Timestamp;
use onego_domain::org::Actor;
use onego_domain::values::FileRef;

use super::{Engine, EngineError};
use crate::StoreError;
use crate::aggregate::{Aggregate, Attach, Derived, GENESIS_HASH, JournalRow, Loaded, Stored, Write};
use onego_domain::messages::Msg;

const MAX_ATTEMPTS: usize = 8;

/// What a command causes in other aggregates: their writes, made after the command is decided and
/// committed in the same transaction as its own write.
pub(crate) type Companions<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Write>, EngineError>> + Send + 'c>>;

impl Engine {
    /// Stores a new aggregate with its first entries.
    pub(crate) async fn create<A: Aggregate>(
        &self,
        value: A,
        entries: &[A::Entry],
        now: Timestamp,
        attach: Option<&Attach>,
    ) -> Result<Arc<Stored<A>>, EngineError> {
        self.create_joint(value, entries, now, attach, |_, _| None).await
    }

    /// Stores a new aggregate with its first entries, and with it, all or none, what `companions`
    /// makes in other aggregates (asked again on every attempt, so it reads their committed state).
    pub(crate) async fn create_joint<'c, A: Aggregate>(
        &'c self,
        mut value: A,
        entries: &[A::Entry],
        now: Timestamp,
        attach: Option<&Attach>,
        companions: impl Fn(&A, &[A::Entry]) -> Option<Companions<'c>>,
    ) -> Result<Arc<Stored<A>>, EngineError> {
        value.set_version(1);
        let (write, derived) = self.build_write(None, &value, entries, now, attach)?;
        let stored = Stored {
            last_seq: write.last_seq(0),
            last_hash: write.last_hash(GENESIS_HASH).to_owned(),
            derived: Some(derived),
            value,
        };
        for _ in 0..MAX_ATTEMPTS {
            let others = match companions(&stored.value, entries) {
                Some(f) => f.await?,
                None => vec![],
            };
            let retry = !others.is_empty();
            match self.commit_with(write.clone(), others).await {
                Ok(()) => {
                    let stored = Arc::new(stored);
                    self.remember(stored.value.id(), stored.clone());
                    return Ok(stored);
                }
                // Another aggregate the command touches changed meanwhile: ask again.
                Err(StoreError::Conflict) if retry => continue,
                // Otherwise only the uploads can make a new aggregate's write conflict: one was taken.
                Err(StoreError::Conflict) => break,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Invalid(
            "a file sent with this was taken by another application at the same moment; upload it again"
                .into(),
        ))
    }

    /// Commits a command's own write alone, or with its companions in one transaction; the companions
    /// are forgotten from the cache either way (read again when next used).
    async fn commit_with(&self, write: Write, others: Vec<Write>) -> Result<(), StoreError> {
        if others.is_empty() {
            return self.store.commit(write).await;
        }
        let ids: Vec<i64> = others.iter().map(|w| w.id).collect();
        let mut all = Vec::with_capacity(others.len() + 1);
        all.push(write);
        all.extend(others);
        let result = self.store.commit_all(all).await;
        for id in ids {
            self.forget(id);
        }
        result
    }

    /// The one path of a command on an existing aggregate: load, decide, apply, commit once.
    ///
    /// The first attempt decides on the cached state without asking the database, because the commit's
    /// version check proves it current: a write decided on a stale state is refused as a conflict and
    /// decided again on the committed state. A refusal or a command that changes nothing proves
    /// nothing, so before either is answered the cached version is checked against the database, and a
    /// stale state is decided again. Every answer is therefore decided on the committed version.
    pub(crate) async fn run<A: Aggregate>(
        &self,
        id: i64,
        now: Timestamp,
        attach: Option<&Attach>,
        decide: impl Fn(&A) -> Result<Vec<A::Entry>, EngineError>,
    ) -> Result<(Arc<Stored<A>>, Vec<A::Entry>), EngineError> {
        self.run_joint(id, now, attach, decide, |_, _| None).await
    }

    /// [`Engine::run`], committing with the command's own write, all or none, what `companions` makes
    /// of the new state and entries in other aggregates (a decision's certificates).
    pub(crate) async fn run_joint<'c, A: Aggregate>(
        &'c self,
        id: i64,
        now: Timestamp,
        attach: Option<&Attach>,
        decide: impl Fn(&A) -> Result<Vec<A::Entry>, EngineError>,
        companions: impl Fn(&A, &[A::Entry]) -> Option<Companions<'c>>,
    ) -> Result<(Arc<Stored<A>>, Vec<A::Entry>), EngineError> {
        let (mut stored, mut verified) = match self.cached::<A>(id) {
            Some(c) => (c, false),
            None => (self.load_fresh::<A>(id).await?, true),
        };
        for _ in 0..MAX_ATTEMPTS {
            let entries = match decide(&stored.value) {
                Ok(entries) if !entries.is_empty() => entries,
                // A refusal or a no-op on a state not yet proven current: prove it first.
                answer if !verified => {
                    verified = true;
                    match self.load_if_changed::<A>(id, stored.value.version()).await? {
                        None => return answer.map(|entries| (stored, entries)),
                        Some(fresh) => {
                            stored = fresh;
                            continue;
                        }
                    }
                }
                answer => return answer.map(|entries| (stored, entries)),
            };
            let mut next = stored.value.clone();
            for e in &entries {
                next.apply(e);
            }
            next.set_version(stored.value.version() + 1);
            let (write, derived) = self.build_write(Some(&stored), &next, &entries, now, attach)?;
            let committed = Stored {
                last_seq: write.last_seq(stored.last_seq),
                last_hash: write.last_hash(&stored.last_hash).to_owned(),
                derived: Some(derived),
                value: next,
            };
            let others = match companions(&committed.value, &entries) {
                Some(f) => f.await?,
                None => vec![],
            };
            match self.commit_with(write, others).await {
                Ok(()) => {
                    let committed = Arc::new(committed);
                    self.remember(id, committed.clone());
                    return Ok((committed, entries));
                }
                Err(StoreError::Conflict) => {
                    // Someone else (another process, or a command here at the same instant) changed
                    // it: decide again on the committed state.
                    self.forget(id);
                    stored = self.load_fresh::<A>(id).await?;
                    verified = true;
                }
                Err(e) => {
                    self.forget(id);
                    return Err(e.into());
                }
            }
        }
        Err(EngineError::Conflict)
    }

    /// The write of entries decided on another aggregate as committed now, to go with a command's own
    /// write (a certificate's use, a project's link): applied to a copy, the version moved on.
    pub(super) fn companion_write<A: Aggregate>(
        &self,
        stored: &Stored<A>,
        entries: &[A::Entry],
        now: Timestamp,
    ) -> Result<Write, EngineError> {
        let mut next = stored.value.clone();
        for e in entries {
            next.apply(e);
        }
        next.set_version(stored.value.version() + 1);
        Ok(self.build_write(Some(stored), &next, entries, now, None)?.0)
    }

    /// Keeps the newer of what is cached and what was just stored, so a slow reader cannot put an
    /// older version back over a newer one.
    fn remember<A: Aggregate>(&self, id: i64, stored: Arc<Stored<A>>) {
        let mut cache = self.cache.lock();
        if let Some(old) = cache
            .get(&id)
            .and_then(|c| c.clone().downcast::<Stored<A>>().ok())
            && old.value.version() > stored.value.version()
        {
            return;
        }
        if cache.len() >= self.config.cache_capacity {
            cache.clear();
        }
        cache.insert(id, stored);
    }

    fn forget(&self, id: i64) {
        self.cache.lock().remove(&id);
    }

    fn cached<A: Aggregate>(&self, id: i64) -> Option<Arc<Stored<A>>> {
        let entry = self.cache.lock().get(&id).cloned();
        entry.and_then(|c| c.downcast::<Stored<A>>().ok())
    }

    fn not_found<A: Aggregate>(id: i64) -> EngineError {
        EngineError::NotFound(not_found_msg(A::KIND, id))
    }

    /// The committed state, read from the database.
    async fn load_fresh<A: Aggregate>(&self, id: i64) -> Result<Arc<Stored<A>>, EngineError> {
        self.load_if_changed::<A>(id, 0)
            .await?
            .ok_or_else(|| Self::not_found::<A>(id))
    }

    /// `None` when the committed version is still `known` (the caller's copy is current), the committed
    /// state otherwise. Versions start at 1, so `known = 0` always loads. One query either way.
    async fn load_if_changed<A: Aggregate>(
        &self,
        id: i64,
        known: u64,
    ) -> Result<Option<Arc<Stored<A>>>, EngineError> {
        let loaded = self
            .store
            .read(move |c| crate::aggregate::load_if_changed::<A>(c, A::KIND, id, known))
            .await?;
        match loaded {
            Loaded::Missing => Err(Self::not_found::<A>(id)),
            Loaded::Unchanged => Ok(None),
            Loaded::Changed(mut stored, version) => {
                stored.value.set_version(version);
                let stored = Arc::new(stored);
                self.remember(id, stored.clone());
                Ok(Some(stored))
            }
        }
    }

    /// The committed state of an aggregate: the cached copy when the database confirms its version
    /// (one small query), else the state read afresh. Every read that answers a person goes through here.
    pub(crate) async fn load_current<A: Aggregate>(&self, id: i64) -> Result<Arc<Stored<A>>, EngineError> {
        match self.cached::<A>(id) {
            Some(c) => Ok(self
                .load_if_changed::<A>(id, c.value.version())
                .await?
                .unwrap_or(c)),
            None => self.load_fresh::<A>(id).await,
        }
    }

    /// An aggregate as the actor may see it: not found, rather than forbidden, for anyone else.
    pub(crate) async fn view<A: Aggregate>(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Arc<Stored<A>>, EngineError> {
        let stored = self.load_current::<A>(id).await?;
        if !stored.value.visible_to(actor) {
            return Err(EngineError::NotFound(not_found_msg(A::KIND, id)));
        }
        Ok(stored)
    }

    /// Checks the uploads a command refers to: each exists, is the actor's own, and is not tied to
    /// another aggregate (it may already be this one's). Returns what to tie in the command's write.
    pub(crate) async fn check_files(
        &self,
        actor: &Actor,
        aggregate: Option<i64>,
        files: &[FileRef],
    ) -> Result<Option<Attach>, EngineError> {
        if files.is_empty() {
            return Ok(None);
        }
        let mut ids: Vec<i64> = files.iter().map(|f| f.upload_id()).collect();
        ids.sort_unstable();
        ids.dedup();
        let wanted = ids.clone();
        let found = self
            .store
            .read(move |c| crate::uploads::infos(c, &wanted))
            .await?;
        for id in &ids {
            let refused = match found.iter().find(|u| u.id == *id) {
                None => Some("does not exist"),
                Some(u) if u.owner_user_id != actor.user_id => Some("was not uploaded by you"),
                Some(u) if u.aggregate_id.is_some() && u.aggregate_id != aggregate => {
                    Some("belongs to another application")
                }
                Some(_) => None,
            };
            if let Some(why) = refused {
                return Err(EngineError::Invalid(Msg::from(format!(
                    "file /uploads/{id} {why}; a material's file must be one you uploaded for this application"
                ))));
            }
        }
        Ok(Some(Attach {
            owner: actor.user_id,
            uploads: ids,
        }))
    }

    pub(super) fn build_write<A: Aggregate>(
        &self,
        before: Option<&Stored<A>>,
        next: &A,
        entries: &[A::Entry],
        now: Timestamp,
        attach: Option<&Attach>,
    ) -> Result<(Write, Derived), EngineError> {
        let (last_seq, last_hash) = match before {
            Some(b) => (b.last_seq, b.last_hash.as_str()),
            None => (0, GENESIS_HASH),
        };
        let journal = JournalRow::chain(next.id(), last_seq, last_hash, entries)?;
        // The rows as last written: remembered from the previous commit, or derived once after a load.
        let old = match before {
            Some(b) => match &b.derived {
                Some(d) => d.clone(),
                None => self.with_env(|env| b.value.derive(env, now)),
            },
            None => Derived::default(),
        };
        let new = self.with_env(|env| next.derive(env, now));
        let (old_tasks, old_timers, new_tasks, new_timers) =
            (&old.tasks, &old.timers, &new.tasks, &new.timers);
        let tasks_removed = old_tasks
            .iter()
            .filter(|t| !new_tasks.contains(t))
            .map(|t| t.task_id)
            .collect();
        let tasks_added = new_tasks
            .iter()
            .filter(|t| !old_tasks.contains(t))
            .cloned()
            .collect();
        let timers_removed = old_timers
            .iter()
            .filter(|t| !new_timers.contains(t))
            .map(|t| (t.target.clone(), t.alarm.clone()))
            .collect();
        let timers_added = new_timers
            .iter()
            .filter(|t| !old_timers.contains(t))
            .cloned()
            .collect();
        let write = Write {
            kind: A::KIND,
            column_names: A::COLUMNS,
            id: next.id(),
            expected_version: before.map(|b| b.value.version()),
            new_version: next.version(),
            state: serde_json::to_string(next).map_err(StoreError::from)?,
            number: next.number(),
            title: next.title(),
            columns: new.columns.clone(),
            previous: before.map(|_| old.columns.clone()),
            journal,
            tasks_removed,
            tasks_added,
            timers_removed,
            timers_added,
            notifications: next.notifications(entries, now),
            side_rows: self.with_env(|env| next.side_rows(env, before.is_none(), entries, last_seq + 1)),
            attach: attach.cloned(),
        };
        Ok((write, new))
    }
}

/// "There is no case 42" — for a thing that does not exist and for one the reader may not see alike, so
/// a refusal tells nobody what exists.
pub(crate) fn not_found_msg(kind: onego_domain::aggregate::AggregateKind, id: i64) -> Msg {
    use onego_domain::aggregate::AggregateKind as K;
    match kind {
        K::Case => Msg::new(
            "no_such_case",
            format!("没有找到第 {id} 号办件，或您无权查看；请核对编号"),
            format!("there is no case {id} you can see; check the number"),
        ),
        K::Ticket => Msg::new(
            "no_such_request",
            format!("没有找到第 {id} 号诉求，或您无权查看；请核对编号"),
            format!("there is no request {id} you can see; check the number"),
        ),
        K::Certificate => Msg::new(
            "no_such_certificate",
            format!("没有找到第 {id} 号电子证照，或您无权查看；请核对编号"),
            format!("there is no certificate {id} you can see; check the number"),
        ),
        K::Project => Msg::new(
            "no_such_project",
            format!("没有找到第 {id} 号项目，或您无权查看；请核对编号"),
            format!("there is no project {id} you can see; check the number"),
        ),
        K::Agreement => Msg::new(
            "no_such_agreement",
            format!("没有找到第 {id} 号代办协议，或您无权查看；请核对编号"),
            format!("there is no agency agreement {id} you can see; check the number"),
        ),
    }
}
