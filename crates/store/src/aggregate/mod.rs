//! What every aggregate (an application, a request, and every later kind of work) shares: how it is
//! kept (its state row with a version, and the rows derived from it: list columns, open tasks in
//! inboxes, timers), how its commands are written (`write.rs`: one batch, one transaction), its
//! journal with the SM3 chain (`journal.rs`), its timers (`timers.rs`) and how a state is read back
//! (`load.rs`). Nothing here knows which kinds exist: each kind implements [`Aggregate`] in its own
//! module (`case`, `ticket`).

mod journal;
mod load;
mod timers;
mod write;

use onego_calendar::{ClockPolicy, Timestamp, WorkingCalendar};
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::TaskId;
use onego_domain::org::Actor;

use crate::sql::Value;

pub use journal::{ChainCheck, GENESIS_HASH, JournalRow, JournalView, journal, verify_chain};
pub use load::{Loaded, load_if_changed};
pub use timers::{DueTimer, claim_due_timers, drop_timer, next_timer_at, replace_timers_at};
pub use write::{Attach, Write, write_batch};

/// An aggregate as stored: its state and where its journal chain stands. Cases and tickets are both
/// kept this way.
#[derive(Debug, Clone)]
pub struct Stored<A> {
    pub value: A,
    pub last_seq: i64,
    pub last_hash: String,
    /// The rows kept beside the state as last written, when known (a freshly loaded aggregate
    /// recomputes them). Lets the next write touch only what changed without deriving the old rows again.
    pub derived: Option<Derived>,
}

/// What is kept beside an aggregate's state: list/statistics columns, open task rows, timer rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// In the order of [`Aggregate::COLUMNS`].
    pub columns: Vec<Value>,
    pub tasks: Vec<TaskRow>,
    pub timers: Vec<TimerRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub task_id: TaskId,
    pub department: String,
    pub role: Option<String>,
    pub name: String,
    pub opened_at: i64,
    pub due_at: Option<i64>,
    pub warning_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRow {
    pub target: String,
    pub alarm: String,
    pub fire_at: i64,
}

/// The one timer of an aggregate that watches a single next date under one target (a project's
/// ledger, an agreement's end), or none.
pub fn next_date_timer(target: &str, next: Option<(onego_domain::timer::Alarm, Timestamp)>) -> Vec<TimerRow> {
    next.map(|(alarm, at)| TimerRow {
        target: target.to_owned(),
        alarm: alarm.as_str().to_owned(),
        fire_at: at.as_millis(),
    })
    .into_iter()
    .collect()
}

/// A notice a command causes: shown in the app (the `notifications` table) to a user or a department,
/// and queued in the outbox, in the same transaction, for every further channel the recipients chose
/// (`outbox::expand`). `kind` names the message template; `params` fill it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationRow {
    pub user_id: Option<i64>,
    pub department: Option<String>,
    pub kind: String,
    /// The in-app text (Chinese, as the inbox shows it).
    pub text: String,
    pub created_at: i64,
    /// The template's parameters: `number`, `title`, and what the kind needs.
    pub params: Vec<(String, String)>,
    /// A contact who gave this number and consented to messages about this matter (an applicant or a
    /// requester without an account): reached by SMS.
    pub phone: Option<String>,
    /// For a department: its supervisors too (overdue), not only the staff who handle the work.
    pub supervisors: bool,
    /// Sent even in quiet hours (an enterprise whistle, an emergency request).
    pub urgent: bool,
    /// A certificate's holder, by their ID or 统一社会信用代码: reaches every account of that holder
    /// (found when the notice is written).
    pub holder: Option<String>,
}

/// Rows that belong to an aggregate in a table of their own, inserted with its write (a case's items,
/// a ticket's returns).
#[derive(Debug, Clone, PartialEq)]
pub struct SideRows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Value>>,
    /// Rows whose key is already there are skipped (a binding made once, such as an ID's name).
    pub keep_existing: bool,
}

/// A journal entry of any aggregate: who did what when, and the event as JSON.
pub trait Journaled {
    fn at(&self) -> Timestamp;
    fn actor(&self) -> &Actor;
    fn action(&self) -> &'static str;
    /// The words a person wrote with the step (an opinion, a reason, an answer).
    fn opinion(&self) -> Option<&str>;
    fn data(&self) -> Result<String, serde_json::Error>;
}

/// The table a kind of aggregate lives in. Journal, tasks, timers and notifications are shared: ids
/// come from one sequence, so an id names one aggregate whatever its kind.
pub fn table_of(kind: AggregateKind) -> &'static str {
    match kind {
        AggregateKind::Case => "cases",
        AggregateKind::Ticket => "tickets",
        AggregateKind::Certificate => "certificates",
        AggregateKind::Project => "projects",
        AggregateKind::Agreement => "agreements",
    }
}

/// What deriving an aggregate's rows needs: the calendar and clock policy in force.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub calendar: &'a WorkingCalendar,
    pub policy: ClockPolicy,
}

/// What the engine needs of a kind of aggregate (a case, a ticket) to run its commands on the one path.
pub trait Aggregate: Clone + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    type Entry: Journaled + Clone + Send + Sync;
    const KIND: AggregateKind;
    /// The columns kept beside the state (after `state`, before `last_seq`), in the order `derive` gives.
    const COLUMNS: &'static [&'static str];
    fn id(&self) -> i64;
    fn version(&self) -> u64;
    fn set_version(&mut self, v: u64);
    fn apply(&mut self, e: &Self::Entry);
    fn number(&self) -> String;
    fn title(&self) -> String;
    /// Whether `actor` may read it (the access policy's answer for this kind).
    fn visible_to(&self, actor: &Actor) -> bool;
    /// The columns, open tasks and timers kept beside the state.
    fn derive(&self, env: Env<'_>, now: Timestamp) -> Derived;
    fn notifications(&self, entries: &[Self::Entry], now: Timestamp) -> Vec<NotificationRow>;
    /// Rows of the aggregate's own side tables that these entries add.
    fn side_rows(
        &self,
        env: Env<'_>,
        created: bool,
        entries: &[Self::Entry],
        first_seq: i64,
    ) -> Vec<SideRows>;
}
