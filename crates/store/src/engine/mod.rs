//! The engine: the one path every command takes, for every caller (HTTP, timers, the demo loader, the
//! benchmark) and every kind of work: authorise → load → decide → apply → commit once.
//!
//! - `path.rs`: that path, generic over [`Aggregate`] (loads, the cache that never answers unproven,
//!   deciding again on a conflict, building the write).
//! - `cases.rs` and `tickets.rs`: each kind's verbs — `open_*` (a new one), `run_*` (a command on one),
//!   reads as a person may see them.
//! - `certificates.rs`: issuing certificates and running commands on them, and the certificates a
//!   decision issues; `shared_data.rs`: certificates attached as materials (免提交);
//! - `projects.rs`: major projects, their plans and stages, and what their cases do to them;
//! - `timers.rs`: firing due timers; `config.rs`: the configuration and its reload.

mod agreements;
mod cases;
mod certificates;
mod config;
mod path;
mod projects;
mod shared_data;
mod tickets;
mod timers;

pub use certificates::{Issue, Verdict, Verified};
pub use shared_data::SharedImport;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use onego_calendar::{ClockPolicy, Timestamp, WorkingCalendar};
use onego_domain::case::CaseError;
use onego_domain::catalog::Catalog;
use onego_domain::hotline::Hotline;
use onego_domain::messages::Msg;
use onego_domain::policy;
use onego_domain::ticket::TicketError;
use onego_domain::values::{CaseNumber, RegionCode};

use crate::aggregate::{Aggregate, Env, JournalRow};
use crate::parking::Mutex;
use crate::routing::Routing;
use crate::{Store, StoreError};

/// Why a command or read was refused. One kind of refusal gives one HTTP status whatever the kind of
/// work (see the table in docs/ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The policy does not let this actor do it (403).
    #[error("{0}")]
    Denied(Msg),
    /// There is no such thing, or none this actor may see (404).
    #[error("{0}")]
    NotFound(Msg),
    /// The state does not allow it now (409): e.g. signing a request already signed.
    #[error("{0}")]
    NotAllowedNow(Msg),
    /// What was sent does not fit (422): a missing reason, an unknown code.
    #[error("{0}")]
    Invalid(Msg),
    /// The catalog or a process definition the work needs is missing (500).
    #[error("the catalog is misconfigured: {0}")]
    Configuration(String),
    /// Someone kept changing it while this was decided (409; try again).
    #[error("the record kept changing while this command was decided; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<policy::Denied> for EngineError {
    fn from(d: policy::Denied) -> Self {
        EngineError::Denied(d.0)
    }
}

impl From<CaseError> for EngineError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NotAllowedNow(m) => EngineError::NotAllowedNow(m),
            CaseError::Invalid(m) => EngineError::Invalid(m),
            CaseError::NotFound(m) => EngineError::NotFound(m),
            CaseError::Configuration(m) => EngineError::Configuration(m),
        }
    }
}

impl From<TicketError> for EngineError {
    fn from(e: TicketError) -> Self {
        match e {
            TicketError::NotAllowedNow(m) => EngineError::NotAllowedNow(m),
            TicketError::Invalid(m) => EngineError::Invalid(m),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The region whose code begins every case number.
    pub region: RegionCode,
    pub policy: ClockPolicy,
    /// Aggregates kept in memory.
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

/// What a command did: the aggregate as committed, and the entries it recorded.
#[derive(Debug, Clone)]
pub struct Outcome<A: Aggregate> {
    pub state: Arc<A>,
    pub entries: Vec<A::Entry>,
}

#[derive(Default)]
struct IdBlocks {
    case_ids: (i64, i64),
    numbers: HashMap<String, (i64, i64)>,
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
    hotline: RwLock<Arc<Hotline>>,
    routing: Routing,
    /// The installation's key secret, under which each issuing body's seal key is kept; certificates
    /// are issued only once it is given.
    master: std::sync::OnceLock<crate::keys::MasterKey>,
}

const CASE_ID_BLOCK: i64 = 64;
const NUMBER_BLOCK: i64 = 32;

impl Engine {
    /// Builds the engine and loads the configuration: catalog, hotline data and the holiday files stored
    /// by administrators, laid over `calendar` (blocking; call at start-up).
    pub fn new(store: Store, calendar: WorkingCalendar, config: EngineConfig) -> Result<Engine, StoreError> {
        let loaded = store.read_blocking(config::load_config)?;
        let calendar_now = config::with_holiday_files(&calendar, &loaded.holiday_files);
        // Routing starts from the categories' own words; past dispatches are added by `train_routing`.
        let routing = Routing::default();
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
            master: std::sync::OnceLock::new(),
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

    pub fn hotline(&self) -> Arc<Hotline> {
        self.hotline.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Gives the engine the key secret certificates are sealed under (once, at start; a second call
    /// is ignored, so a running server never changes the key it seals with).
    pub fn set_master_key(&self, key: crate::keys::MasterKey) {
        let _ = self.master.set(key);
    }

    pub fn routing(&self) -> &Routing {
        &self.routing
    }

    /// Runs `f` with what deriving rows needs (the calendar and policy in force).
    pub fn with_env<T>(&self, f: impl FnOnce(Env<'_>) -> T) -> T {
        let calendar = self.calendar();
        f(Env {
            calendar: &calendar,
            policy: self.config.policy,
        })
    }

    /// An aggregate's journal, oldest first, for an actor who may see it.
    pub async fn timeline<A: Aggregate>(
        &self,
        actor: &onego_domain::org::Actor,
        id: i64,
    ) -> Result<Vec<JournalRow>, EngineError> {
        self.view::<A>(actor, id).await?;
        Ok(self.store.read(move |c| crate::aggregate::journal(c, id)).await?)
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
                .write(|c| crate::reserve(c, "aggregate_id", CASE_ID_BLOCK))
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
            EngineError::Invalid("more than 999,999 cases in one day for this region".into())
        })?;
        Ok((id, number))
    }
}
