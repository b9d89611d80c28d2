//! The path of a command: authorise → load → decide → apply → commit once.
//!
//! The engine is the one place that runs it, for every caller (HTTP, timers, demo loader, benchmark).
//! Loads come from a small cache of recent cases; a stale cache entry (another process changed the
//! case) is caught by the version check at commit, and the command is decided again on fresh state.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use onego_calendar::{
    ClockPolicy, Limit, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, Timestamp, WorkingCalendar,
};
use onego_domain::case::{
    Alarm, Case, CaseError, CaseId, CaseStatus, ClockTarget, Command, Context, Entry, Event, Submission,
};
use onego_domain::catalog::Catalog;
use onego_domain::org::Actor;
use onego_domain::policy;
use onego_domain::values::{CaseNumber, RegionCode};

use crate::cases::{
    self, Attach, CaseColumns, Derived, JournalRow, Journaled, NotificationRow, SideRows, Stored, StoredCase,
    Table, TaskRow, TimerRow, Write,
};
use crate::parking::Mutex;
use crate::sql::Value;
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Case(#[from] CaseError),
    /// A request's command or intake that cannot be done as asked.
    #[error("{0}")]
    Invalid(String),
    #[error("the case kept changing while this command was decided; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<policy::Denied> for EngineError {
    fn from(d: policy::Denied) -> Self {
        EngineError::Denied(d.0)
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The region whose code begins every case number.
    pub region: RegionCode,
    pub policy: ClockPolicy,
    /// Cases kept in memory.
    pub cache_capacity: usize,
    /// Names this process in timer leases.
    pub node: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: RegionCode::parse("371700").unwrap_or_else(|_| unreachable!("a valid region code")),
            policy: ClockPolicy::default(),
            cache_capacity: 50_000,
            node: format!("onego-{}", std::process::id()),
        }
    }
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Arc<Case>,
    pub entries: Vec<Entry>,
}

#[derive(Default)]
struct IdBlocks {
    case_ids: (i64, i64),
    numbers: HashMap<String, (i64, i64)>,
}

/// What the engine needs of a kind of aggregate (a case, a ticket) to run its commands on the one path.
pub trait Aggregate: Clone + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    type Entry: Journaled + Clone + Send + Sync;
    const TABLE: Table;
    fn id(&self) -> i64;
    fn version(&self) -> u64;
    fn set_version(&mut self, v: u64);
    fn apply(&mut self, e: &Self::Entry);
    fn number(&self) -> String;
    fn title(&self) -> String;
    /// The columns, open tasks and timers kept beside the state.
    fn derive(&self, engine: &Engine, now: Timestamp) -> Derived;
    fn notifications(&self, engine: &Engine, entries: &[Self::Entry], now: Timestamp)
    -> Vec<NotificationRow>;
    /// Rows of the aggregate's own side tables that these entries add.
    fn side_rows(
        &self,
        engine: &Engine,
        created: bool,
        entries: &[Self::Entry],
        first_seq: i64,
    ) -> Vec<SideRows>;
}

impl Aggregate for Case {
    type Entry = Entry;
    const TABLE: Table = Table::Cases;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &Entry) {
        Case::apply(self, e);
    }
    fn number(&self) -> String {
        self.number.to_string()
    }
    fn title(&self) -> String {
        self.title.clone()
    }
    fn derive(&self, engine: &Engine, now: Timestamp) -> Derived {
        Derived {
            columns: engine.columns(self, now).values(),
            tasks: engine.task_rows(self),
            timers: engine.timer_rows(self),
        }
    }
    fn notifications(&self, engine: &Engine, entries: &[Entry], now: Timestamp) -> Vec<NotificationRow> {
        engine.notifications(self, entries, now)
    }
    fn side_rows(&self, _: &Engine, created: bool, _: &[Entry], _: i64) -> Vec<SideRows> {
        if !created {
            return Vec::new();
        }
        vec![SideRows {
            table: "case_items",
            columns: &["case_id", "item_code", "department"],
            rows: self
                .flows
                .iter()
                .map(|f| {
                    vec![
                        Value::Int(self.id),
                        f.item.to_string().into(),
                        f.department.to_string().into(),
                    ]
                })
                .collect(),
        }]
    }
}

type CacheEntry = Arc<dyn std::any::Any + Send + Sync>;

pub struct Engine {
    store: Store,
    /// The calendar given at start (built-in table and any `--holidays` file); holiday files stored by
    /// administrators are laid over it.
    base_calendar: WorkingCalendar,
    calendar: RwLock<Arc<WorkingCalendar>>,
    /// The configuration generation the loaded catalog, hotline data and calendar belong to.
    generation: std::sync::atomic::AtomicI64,
    catalog: RwLock<Arc<Catalog>>,
    config: EngineConfig,
    /// Recently used aggregates of every kind (ids never collide across kinds).
    cache: Mutex<HashMap<i64, CacheEntry>>,
    ids: tokio::sync::Mutex<IdBlocks>,
    pub(crate) hotline: RwLock<Arc<crate::tickets::Hotline>>,
    pub(crate) routing: crate::tickets::Routing,
}

const MAX_ATTEMPTS: usize = 8;

/// What a process loads from the database at start and after every configuration change.
struct LoadedConfig {
    generation: i64,
    catalog: Catalog,
    hotline: crate::tickets::Hotline,
    holiday_files: Vec<crate::catalog::HolidayFile>,
}

/// Everything in one read, so the generation matches what was read with it (a change committed
/// between the reads is seen again at the next refresh).
fn load_config(conn: &mut dyn crate::Conn) -> Result<LoadedConfig, StoreError> {
    let generation = crate::config_generation(conn)?;
    Ok(LoadedConfig {
        generation,
        catalog: crate::catalog::load(conn)?,
        hotline: crate::tickets::load_hotline(conn)?,
        holiday_files: crate::catalog::holiday_files(conn)?,
    })
}

/// The base calendar with the stored holiday files laid over it, oldest first. Each file was checked
/// when it was stored; one that no longer fits (the base changed) is reported and left out.
fn with_holiday_files(base: &WorkingCalendar, files: &[crate::catalog::HolidayFile]) -> WorkingCalendar {
    let mut table = base.table().clone();
    for f in files {
        match onego_calendar::HolidayTable::from_toml_str(&f.source, &f.name)
            .and_then(|extra| table.clone().overlay(extra))
        {
            Ok(t) => table = t,
            Err(e) => tracing::error!(file = %f.name, error = %e, "a stored holiday file was left out"),
        }
    }
    WorkingCalendar::new(table)
        .with_office_hours(base.office_hours().clone())
        .with_offset(base.offset())
}
const CASE_ID_BLOCK: i64 = 64;
const NUMBER_BLOCK: i64 = 32;

impl Engine {
    /// Builds the engine and loads the configuration: catalog, hotline data and the holiday files stored
    /// by administrators, laid over `calendar` (blocking; call at start-up).
    pub fn new(store: Store, calendar: WorkingCalendar, config: EngineConfig) -> Result<Engine, StoreError> {
        let loaded = store.read_blocking(load_config)?;
        let calendar_now = with_holiday_files(&calendar, &loaded.holiday_files);
        // Routing starts from the categories' own words; past dispatches are added by `train_routing`.
        let routing = crate::tickets::Routing::default();
        routing.learn_categories(&loaded.hotline, &[]);
        Ok(Engine {
            store,
            base_calendar: calendar,
            calendar: RwLock::new(Arc::new(calendar_now)),
            generation: std::sync::atomic::AtomicI64::new(loaded.generation),
            catalog: RwLock::new(Arc::new(loaded.catalog)),
            config,
            cache: Mutex::new(HashMap::new()),
            ids: tokio::sync::Mutex::new(IdBlocks::default()),
            hotline: RwLock::new(Arc::new(loaded.hotline)),
            routing,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The working calendar in force.
    pub fn calendar(&self) -> Arc<WorkingCalendar> {
        self.calendar.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads the configuration if any process changed it since it was loaded here (the generation
    /// moved). Returns whether it reloaded. The server calls this every second, so a change made on one
    /// server is in force on every server within about a second; the server that made it calls
    /// [`Engine::reload_config`] at once.
    pub async fn refresh_config(&self) -> Result<bool, StoreError> {
        let generation = self.store.read(crate::config_generation).await?;
        if generation == self.generation.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(false);
        }
        self.reload_config().await?;
        Ok(true)
    }

    /// Re-reads the catalog, hotline data and holiday files. Clocks are derived, so every reading from
    /// now on uses the new calendar; timers are set right at each aggregate's next step, and a timer
    /// that fires early changes nothing.
    pub async fn reload_config(&self) -> Result<(), StoreError> {
        let loaded = self.store.read(load_config).await?;
        let calendar = with_holiday_files(&self.base_calendar, &loaded.holiday_files);
        let before = self.hotline();
        self.routing.learn_categories(&loaded.hotline, &before.categories);
        *self.calendar.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(calendar);
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded.catalog);
        *self.hotline.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(loaded.hotline);
        self.generation
            .store(loaded.generation, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    async fn next_ids(&self, now: Timestamp) -> Result<(CaseId, CaseNumber), EngineError> {
        self.next_ids_for("case_no", now).await
    }

    /// A new id from the one sequence every aggregate shares, and the next number of the day from the
    /// sequence `prefix` names (cases and tickets are numbered apart).
    pub(crate) async fn next_ids_for(
        &self,
        prefix: &str,
        now: Timestamp,
    ) -> Result<(i64, CaseNumber), EngineError> {
        let date = self.calendar().local_date(now);
        let key = format!("{prefix}:{}:{}", self.config.region, date.format("%Y%m%d"));
        let mut ids = self.ids.lock().await;
        if ids.case_ids.0 >= ids.case_ids.1 {
            let first = self
                .store
                .write(|c| crate::reserve(c, "case_id", CASE_ID_BLOCK))
                .await?;
            ids.case_ids = (first, first + CASE_ID_BLOCK);
        }
        let id = ids.case_ids.0;
        ids.case_ids.0 += 1;
        let block = ids.numbers.get(&key).copied().unwrap_or((0, 0));
        let block = if block.0 >= block.1 {
            let k = key.clone();
            let first = self
                .store
                .write(move |c| crate::reserve(c, &k, NUMBER_BLOCK))
                .await?;
            (first, first + NUMBER_BLOCK)
        } else {
            block
        };
        ids.numbers.insert(key, (block.0 + 1, block.1));
        if ids.numbers.len() > 64 {
            // Old days' blocks are never used again.
            let today = date.format("%Y%m%d").to_string();
            ids.numbers.retain(|k, _| k.ends_with(&today));
        }
        let number = CaseNumber::new(&self.config.region, date, block.0 as u32).ok_or_else(|| {
            EngineError::Case(CaseError::Invalid(
                "more than 999,999 cases in one day for this region".into(),
            ))
        })?;
        Ok((id, number))
    }

    fn context<'a>(
        &'a self,
        actor: &'a Actor,
        now: Timestamp,
        catalog: &'a Catalog,
        calendar: &'a WorkingCalendar,
    ) -> Context<'a> {
        Context {
            now,
            actor,
            registry: catalog,
            calendar,
            policy: self.config.policy,
        }
    }

    /// Opens a new case; with `accept`, a clerk accepts it in the same step.
    pub async fn submit(
        &self,
        actor: &Actor,
        submission: Submission,
        accept: Option<Command>,
        now: Timestamp,
    ) -> Result<Outcome, EngineError> {
        policy::authorize_submission(actor, &submission)?;
        if accept.is_some() && actor.role != onego_domain::org::Role::Clerk {
            return Err(EngineError::Denied(
                "only the window clerk accepts at submission".into(),
            ));
        }
        let attach = self.check_files(actor, None, &submission.files()).await?;
        let catalog = self.catalog();
        let (id, number) = self.next_ids(now).await?;
        let calendar = self.calendar();
        let ctx = self.context(actor, now, &catalog, &calendar);
        let (case, entries) = Case::open(&ctx, id, number, submission, accept)?;
        let stored = self.create(case, &entries, now, attach.as_ref()).await?;
        Ok(Outcome {
            case: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// Stores a new aggregate with its first entries.
    pub(crate) async fn create<A: Aggregate>(
        &self,
        mut value: A,
        entries: &[A::Entry],
        now: Timestamp,
        attach: Option<&Attach>,
    ) -> Result<Arc<Stored<A>>, EngineError> {
        value.set_version(1);
        let (write, derived) = self.build_write(None, &value, entries, now, attach)?;
        let stored = Stored {
            last_seq: write.last_seq(0),
            last_hash: write.last_hash(cases::GENESIS_HASH).to_owned(),
            derived: Some(derived),
            value,
        };
        match self.store.commit(write).await {
            Ok(()) => {}
            // Only the uploads can make a new aggregate's write conflict: one was taken meanwhile.
            Err(StoreError::Conflict) => {
                return Err(EngineError::Invalid(
                    "a file sent with this was taken by another application at the same moment; upload it again".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let stored = Arc::new(stored);
        self.remember(stored.value.id(), stored.clone());
        Ok(stored)
    }

    /// Runs a command on a case, deciding again on fresh state if someone else changed it meanwhile.
    pub async fn execute(
        &self,
        actor: &Actor,
        id: CaseId,
        cmd: &Command,
        now: Timestamp,
    ) -> Result<Outcome, EngineError> {
        let attach = self.check_files(actor, Some(id), &cmd.files()).await?;
        let catalog = self.catalog();
        let (stored, entries) = self
            .run::<Case>(id, now, attach.as_ref(), |current| {
                policy::authorize_command(actor, current, cmd)?;
                let calendar = self.calendar();
                let ctx = self.context(actor, now, &catalog, &calendar);
                Ok(current.decide(&ctx, cmd)?)
            })
            .await?;
        Ok(Outcome {
            case: Arc::new(stored.value.clone()),
            entries,
        })
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
            match self.store.commit(write).await {
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
        EngineError::NotFound(format!("there is no {} {id}", A::TABLE.kind()))
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
            .read(move |c| cases::load_if_changed::<A>(c, A::TABLE, id, known))
            .await?;
        match loaded {
            cases::Loaded::Missing => Err(Self::not_found::<A>(id)),
            cases::Loaded::Unchanged => Ok(None),
            cases::Loaded::Changed(mut stored, version) => {
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

    /// Checks the uploads a command refers to: each exists, is the actor's own, and is not tied to
    /// another aggregate (it may already be this one's). Returns what to tie in the command's write.
    pub(crate) async fn check_files(
        &self,
        actor: &Actor,
        aggregate: Option<i64>,
        files: &[onego_domain::values::FileRef],
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
                Some(u) if u.case_id.is_some() && u.case_id != aggregate => {
                    Some("belongs to another application")
                }
                Some(_) => None,
            };
            if let Some(why) = refused {
                return Err(EngineError::Invalid(format!(
                    "file /uploads/{id} {why}; a material's file must be one you uploaded for this application"
                )));
            }
        }
        Ok(Some(Attach {
            owner: actor.user_id,
            uploads: ids,
        }))
    }

    /// A case as the actor may see it.
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<Arc<StoredCase>, EngineError> {
        let stored = self.load_current::<Case>(id).await?;
        if !policy::can_view_case(actor, &stored.value) {
            // Not found rather than forbidden: do not reveal that a case number exists.
            return Err(EngineError::NotFound(format!(
                "there is no case {id} you can see"
            )));
        }
        Ok(stored)
    }

    /// A case's journal, oldest first, for an actor who may see the case.
    pub async fn timeline(&self, actor: &Actor, id: CaseId) -> Result<Vec<JournalRow>, EngineError> {
        self.case(actor, id).await?;
        Ok(self.store.read(move |c| cases::journal(c, id)).await?)
    }

    /// Fires every timer due at `now`. Returns how many timers changed something.
    pub async fn fire_due_timers(&self, now: Timestamp) -> Result<usize, EngineError> {
        let owner = self.config.node.clone();
        let due = self
            .store
            .write(move |c| cases::claim_due_timers(c, &owner, now.as_millis(), 60_000, 200))
            .await?;
        let system = Actor::system();
        let mut fired = 0;
        for t in due {
            let alarm = t.alarm;
            let id = t.case_id;
            // Each kind checks its own clock and says, at the version it decided on, which timers it
            // still wants.
            let result = if let Some(clock) = t.target.strip_prefix("ticket:") {
                match crate::tickets::parse_clock(clock) {
                    Some(clock) => self
                        .execute_ticket(
                            &system,
                            id,
                            &onego_domain::ticket::TicketCommand::CheckClock { clock, alarm },
                            now,
                        )
                        .await
                        .map(|out| {
                            (
                                out.entries.len(),
                                Table::Tickets,
                                out.ticket.version,
                                self.ticket_timer_rows(&out.ticket),
                            )
                        }),
                    None => Err(EngineError::NotFound(format!("timer target {}", t.target))),
                }
            } else {
                match cases::parse_target(&t.target) {
                    Some(target) => self
                        .execute(&system, id, &Command::CheckClock { target, alarm }, now)
                        .await
                        .map(|out| {
                            (
                                out.entries.len(),
                                Table::Cases,
                                out.case.version,
                                self.timer_rows(&out.case),
                            )
                        }),
                    None => Err(EngineError::NotFound(format!("timer target {}", t.target))),
                }
            };
            match result {
                Ok((n, ..)) if n > 0 => fired += 1,
                Ok((_, table, version, rows)) => {
                    // Nothing to mark (the clock moved, or the work finished): set its timers right, but
                    // only if no one changed the aggregate since this decision (their commit set them).
                    let (owner, target) = (self.config.node.clone(), t.target.clone());
                    let replaced = self
                        .store
                        .write(move |c| {
                            cases::replace_timers_at(c, table, id, version, &rows, (&owner, &target, alarm))
                        })
                        .await?;
                    if !replaced {
                        tracing::debug!(
                            id,
                            "a timer's aggregate changed meanwhile; its timers stay as committed"
                        );
                    }
                }
                Err(EngineError::NotFound(_)) => {
                    // A timer of an aggregate that does not exist (or a target no one knows).
                    tracing::warn!(id, target = %t.target, "dropping a timer that belongs to nothing");
                    let target = t.target.clone();
                    self.store
                        .write(move |c| cases::drop_timer(c, id, &target, alarm))
                        .await?;
                }
                Err(e) => {
                    tracing::warn!(id, error = %e, "a timer could not fire; it will be retried")
                }
            }
        }
        Ok(fired)
    }

    /// When the next timer is due, so a worker can sleep until then.
    pub async fn next_timer_at(&self) -> Result<Option<Timestamp>, EngineError> {
        Ok(self
            .store
            .read(cases::next_timer_at)
            .await?
            .map(Timestamp::from_millis))
    }

    pub(crate) fn timer_rows(&self, case: &Case) -> Vec<TimerRow> {
        case.timers(&self.calendar(), self.config.policy)
            .into_iter()
            .map(|t| TimerRow {
                target: cases::target_key(t.target),
                alarm: t.alarm.as_str().to_owned(),
                fire_at: t.fire_at.as_millis(),
            })
            .collect()
    }

    fn task_rows(&self, case: &Case) -> Vec<TaskRow> {
        let calendar = self.calendar();
        case.open_tasks()
            .map(|t| {
                let reading = case
                    .task_clock(t)
                    .read(&calendar, self.config.policy, t.opened_at)
                    .ok();
                TaskRow {
                    task_id: t.id,
                    department: t.department.to_string(),
                    role: t.role.clone(),
                    name: t.name.clone(),
                    opened_at: t.opened_at.as_millis(),
                    due_at: reading.and_then(|r| r.due).map(Timestamp::as_millis),
                    warning_at: reading.and_then(|r| r.warning_at).map(Timestamp::as_millis),
                }
            })
            .collect()
    }

    fn limit_days(&self, limit: Limit) -> f64 {
        match limit {
            Limit::WorkingDays(n) | Limit::NaturalDays(n) => f64::from(n),
            Limit::NaturalHours(n) => f64::from(n) / 24.0,
            Limit::WorkingHours(n) => {
                let per_day = f64::from(self.calendar().office_hours().minutes_per_day().max(1)) / 60.0;
                f64::from(n) / per_day
            }
        }
    }

    /// The columns kept beside a case for lists and statistics.
    pub fn columns(&self, case: &Case, now: Timestamp) -> CaseColumns {
        let policy = self.config.policy;
        let at = case.decided_at.unwrap_or(now);
        let calendar = self.calendar();
        let reading = case.clock().and_then(|c| c.read(&calendar, policy, at).ok());
        let legal = case
            .legal_clock()
            .and_then(|c| c.read(&calendar, policy, at).ok());
        let decided =
            case.decided_at.is_some() && case.accepted_at.is_some() && case.status != CaseStatus::Withdrawn;
        let used_days = reading.filter(|_| decided).map(|r| {
            let unit = match case.promised_limit {
                Limit::WorkingHours(_) => {
                    i64::from(self.calendar().office_hours().minutes_per_day().max(1)) * MS_PER_MINUTE
                }
                Limit::NaturalHours(_) => MS_PER_HOUR * 24,
                _ => MS_PER_DAY,
            };
            (r.elapsed_ms as f64 / unit as f64 * 100.0).round() / 100.0
        });
        let subject = match &case.subject {
            onego_domain::case::Subject::Item { code, .. } => ("item", code.to_string()),
            onego_domain::case::Subject::Bundle { code, .. } => ("bundle", code.to_string()),
        };
        CaseColumns {
            number: case.number.to_string(),
            status: case.status.as_str().to_owned(),
            subject_kind: subject.0.to_owned(),
            subject_code: subject.1,
            title: case.title.clone(),
            department: case.department.to_string(),
            applicant_key: case.applicant.id.as_str().to_owned(),
            applicant_user_id: case.applicant.user_id,
            channel: match case.channel {
                onego_domain::case::Channel::Online => "online".into(),
                onego_domain::case::Channel::Window => "window".into(),
            },
            submitted_at: case.submitted_at.as_millis(),
            accepted_at: case.accepted_at.map(Timestamp::as_millis),
            accepted_day: case
                .accepted_at
                .map(|t| crate::day_number(calendar.local_date(t))),
            decided_at: case.decided_at.map(Timestamp::as_millis),
            decided_day: case.decided_at.map(|t| crate::day_number(calendar.local_date(t))),
            delivered_at: case.delivered_at.map(Timestamp::as_millis),
            due_at: reading.and_then(|r| r.due).map(Timestamp::as_millis),
            legal_due_at: legal.and_then(|r| r.due).map(Timestamp::as_millis),
            outcome: case.outcome.map(|o| o.as_str().to_owned()),
            on_time: reading
                .filter(|_| decided)
                .map(|r| r.state != onego_calendar::ClockState::Overdue),
            legal_on_time: legal
                .filter(|_| decided)
                .map(|r| r.state != onego_calendar::ClockState::Overdue),
            used_days,
            promised_days: self.limit_days(case.promised_limit),
            legal_days: self.limit_days(case.legal_limit),
            rating: case.rating.as_ref().map(|r| i64::from(r.level)),
            warned: case.warned,
            overdue: case.overdue,
        }
    }

    fn notifications(&self, case: &Case, entries: &[Entry], now: Timestamp) -> Vec<NotificationRow> {
        let mut out = Vec::new();
        let to_applicant = |kind: &str, text: String| NotificationRow {
            user_id: case.applicant.user_id,
            department: None,
            kind: kind.to_owned(),
            text,
            created_at: now.as_millis(),
        };
        for e in entries {
            match &e.event {
                Event::Alarmed { target, alarm } => {
                    let word = match alarm {
                        Alarm::Warning => "即将到期（黄牌预警）",
                        Alarm::Overdue => "已超期（红牌）",
                    };
                    let (department, what) = match target {
                        ClockTarget::Case => (case.department.to_string(), "办件".to_owned()),
                        ClockTarget::Task(id) => match case.task(*id) {
                            Some(t) => (t.department.to_string(), format!("环节“{}”", t.name)),
                            None => continue,
                        },
                    };
                    out.push(NotificationRow {
                        user_id: None,
                        department: Some(department),
                        kind: alarm.as_str().to_owned(),
                        text: format!("{} {}：{}{}", case.number, case.title, what, word),
                        created_at: now.as_millis(),
                    });
                }
                Event::ExtensionRequested { request } => {
                    if let Some(dept) = &e.actor.department {
                        out.push(NotificationRow {
                            user_id: None,
                            department: Some(dept.to_string()),
                            kind: "extension_requested".into(),
                            text: format!(
                                "{} {}：{}申请延期{}，待科室负责人审批",
                                case.number,
                                case.title,
                                request.by,
                                request.limit.compact()
                            ),
                            created_at: now.as_millis(),
                        });
                    }
                }
                Event::SupplementRequested { request } if case.applicant.user_id.is_some() => {
                    let names: Vec<&str> = request.missing.iter().map(|m| m.name.as_str()).collect();
                    out.push(to_applicant(
                        "supplement",
                        format!("{} {}：请补正材料：{}", case.number, case.title, names.join("、")),
                    ));
                }
                Event::NotAccepted { reason } if case.applicant.user_id.is_some() => {
                    out.push(to_applicant(
                        "not_accepted",
                        format!("{} {}：不予受理。{}", case.number, case.title, reason),
                    ));
                }
                Event::Decided { reason, .. } if case.applicant.user_id.is_some() => {
                    out.push(to_applicant(
                        "decided",
                        format!("{} {}：已作出决定（{}）", case.number, case.title, reason),
                    ));
                }
                Event::Delivered { .. } if case.applicant.user_id.is_some() => {
                    out.push(to_applicant(
                        "delivered",
                        format!("{} {}：结果已送达，欢迎评价", case.number, case.title),
                    ));
                }
                _ => {}
            }
        }
        out
    }

    fn build_write<A: Aggregate>(
        &self,
        before: Option<&Stored<A>>,
        next: &A,
        entries: &[A::Entry],
        now: Timestamp,
        attach: Option<&Attach>,
    ) -> Result<(Write, Derived), EngineError> {
        let (last_seq, last_hash) = match before {
            Some(b) => (b.last_seq, b.last_hash.as_str()),
            None => (0, cases::GENESIS_HASH),
        };
        let journal = JournalRow::chain(next.id(), last_seq, last_hash, entries)?;
        // The rows as last written: remembered from the previous commit, or derived once after a load.
        let old = match before {
            Some(b) => match &b.derived {
                Some(d) => d.clone(),
                None => b.value.derive(self, now),
            },
            None => Derived::default(),
        };
        let new = next.derive(self, now);
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
            table: A::TABLE,
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
            notifications: next.notifications(self, entries, now),
            side_rows: next.side_rows(self, before.is_none(), entries, last_seq + 1),
            attach: attach.cloned(),
        };
        Ok((write, new))
    }
}
