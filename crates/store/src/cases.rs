//! Cases, and what every aggregate (case or ticket) shares: the write path, journal, open tasks,
//! timers and notifications.

use onego_calendar::Timestamp;
use onego_domain::case::{Alarm, Case, CaseId, ClockTarget, Entry, TaskId};
use onego_domain::org::Actor;
use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::StoreError;
use crate::sql::{Conn, Dialect, Row, Value, insert_many};

/// The hash before a case's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

pub type StoredCase = Stored<Case>;

/// What is kept beside an aggregate's state: list/statistics columns, open task rows, timer rows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// In the order of [`Table::columns`].
    pub columns: Vec<Value>,
    pub tasks: Vec<TaskRow>,
    pub timers: Vec<TimerRow>,
}

/// The tables aggregates live in. Journal, tasks, timers and notifications are shared: ids come from
/// one sequence, so an id names one aggregate whatever its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Cases,
    Tickets,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Cases => "cases",
            Table::Tickets => "tickets",
        }
    }

    /// What a task row says it belongs to.
    pub fn kind(self) -> &'static str {
        match self {
            Table::Cases => "case",
            Table::Tickets => "ticket",
        }
    }

    /// The columns kept beside the state, between `state` and `last_seq`.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Cases => CASE_COLUMNS,
            Table::Tickets => crate::tickets::TICKET_COLUMNS,
        }
    }
}

/// The columns kept beside a case's state for lists and statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseColumns {
    pub number: String,
    pub status: String,
    pub subject_kind: String,
    pub subject_code: String,
    pub title: String,
    pub department: String,
    pub applicant_key: String,
    pub applicant_user_id: Option<i64>,
    pub channel: String,
    pub submitted_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_day: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_day: Option<i64>,
    pub delivered_at: Option<i64>,
    pub due_at: Option<i64>,
    pub legal_due_at: Option<i64>,
    pub outcome: Option<String>,
    pub on_time: Option<bool>,
    pub legal_on_time: Option<bool>,
    pub used_days: Option<f64>,
    pub promised_days: f64,
    pub legal_days: f64,
    pub rating: Option<i64>,
    pub warned: bool,
    pub overdue: bool,
}

impl CaseColumns {
    /// The values in the order of [`CASE_COLUMNS`].
    pub fn values(&self) -> Vec<Value> {
        let c = self;
        vec![
            c.number.clone().into(),
            c.status.clone().into(),
            c.subject_kind.clone().into(),
            c.subject_code.clone().into(),
            c.title.clone().into(),
            c.department.clone().into(),
            c.applicant_key.clone().into(),
            c.applicant_user_id.into(),
            c.channel.clone().into(),
            Value::Int(c.submitted_at),
            c.accepted_at.into(),
            c.accepted_day.into(),
            c.decided_at.into(),
            c.decided_day.into(),
            c.delivered_at.into(),
            c.due_at.into(),
            c.legal_due_at.into(),
            c.outcome.clone().into(),
            c.on_time.into(),
            c.legal_on_time.into(),
            c.used_days.into(),
            Value::Real(c.promised_days),
            Value::Real(c.legal_days),
            c.rating.into(),
            c.warned.into(),
            c.overdue.into(),
        ]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JournalRow {
    pub case_id: CaseId,
    pub seq: i64,
    pub at: i64,
    pub actor_id: i64,
    pub actor_name: String,
    pub actor_role: String,
    pub action: String,
    pub opinion: Option<String>,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
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

impl Journaled for Entry {
    fn at(&self) -> Timestamp {
        self.at
    }
    fn actor(&self) -> &Actor {
        &self.actor
    }
    fn action(&self) -> &'static str {
        self.event.action()
    }
    fn opinion(&self) -> Option<&str> {
        self.event.opinion()
    }
    fn data(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.event)
    }
}

impl JournalRow {
    /// SM3 over the previous hash and everything this entry records.
    pub fn compute_hash(&self) -> String {
        let mut h = Sm3::new();
        for part in [
            self.prev_hash.as_str(),
            &self.case_id.to_string(),
            &self.seq.to_string(),
            &self.at.to_string(),
            &self.actor_id.to_string(),
            &self.actor_name,
            &self.actor_role,
            &self.action,
            self.opinion.as_deref().unwrap_or(""),
            &self.data,
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex::encode(h.finalize())
    }

    /// Journal rows for new entries, chained after `prev_hash`.
    pub fn chain<E: Journaled>(
        case_id: CaseId,
        last_seq: i64,
        prev_hash: &str,
        entries: &[E],
    ) -> Result<Vec<JournalRow>, StoreError> {
        let mut prev = prev_hash.to_owned();
        let mut rows = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let mut row = JournalRow {
                case_id,
                seq: last_seq + 1 + i as i64,
                at: e.at().as_millis(),
                actor_id: e.actor().user_id,
                actor_name: e.actor().name.clone(),
                actor_role: e.actor().role.as_str().to_owned(),
                action: e.action().to_owned(),
                opinion: e.opinion().map(str::to_owned),
                data: e.data()?,
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.compute_hash();
            prev = row.hash.clone();
            rows.push(row);
        }
        Ok(rows)
    }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub user_id: Option<i64>,
    pub department: Option<String>,
    pub kind: String,
    pub text: String,
    pub created_at: i64,
}

/// Rows that belong to an aggregate in a table of their own, inserted with its write (a case's items,
/// a ticket's returns).
#[derive(Debug, Clone, PartialEq)]
pub struct SideRows {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Value>>,
}

/// Everything one command changes in one aggregate, written in one transaction.
#[derive(Debug, Clone)]
pub struct Write {
    pub table: Table,
    pub id: CaseId,
    /// `None` for a new aggregate.
    pub expected_version: Option<u64>,
    pub new_version: u64,
    pub state: String,
    /// Named on the aggregate's task rows, so an inbox needs no join.
    pub number: String,
    pub title: String,
    /// In the order of [`Table::columns`].
    pub columns: Vec<Value>,
    /// The columns as they stood before, for an update; `None` writes them all.
    pub previous: Option<Vec<Value>>,
    pub journal: Vec<JournalRow>,
    pub tasks_removed: Vec<TaskId>,
    pub tasks_added: Vec<TaskRow>,
    /// (target, alarm) of timers no longer wanted.
    pub timers_removed: Vec<(String, String)>,
    pub timers_added: Vec<TimerRow>,
    pub notifications: Vec<NotificationRow>,
    pub side_rows: Vec<SideRows>,
    /// Uploads this command refers to, tied to the aggregate in the same transaction.
    pub attach: Option<Attach>,
}

/// Uploads to tie to an aggregate: each must be `owner`'s and not tied to another aggregate, else the
/// write is refused as a conflict (and decided again, which reports why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    pub owner: i64,
    pub uploads: Vec<i64>,
}

impl Write {
    pub fn last_seq(&self, before: i64) -> i64 {
        self.journal.last().map(|j| j.seq).unwrap_or(before)
    }

    pub fn last_hash<'a>(&'a self, before: &'a str) -> &'a str {
        self.journal.last().map(|j| j.hash.as_str()).unwrap_or(before)
    }
}

pub fn target_key(t: ClockTarget) -> String {
    match t {
        ClockTarget::Case => "case".to_owned(),
        ClockTarget::Task(id) => format!("task:{id}"),
    }
}

pub fn parse_target(s: &str) -> Option<ClockTarget> {
    if s == "case" {
        return Some(ClockTarget::Case);
    }
    s.strip_prefix("task:")
        .and_then(|n| n.parse().ok())
        .map(ClockTarget::Task)
}

pub fn parse_alarm(s: &str) -> Option<Alarm> {
    match s {
        "warning" => Some(Alarm::Warning),
        "overdue" => Some(Alarm::Overdue),
        _ => None,
    }
}

const CASE_COLUMNS: &[&str] = &[
    "number",
    "status",
    "subject_kind",
    "subject_code",
    "title",
    "department",
    "applicant_key",
    "applicant_user_id",
    "channel",
    "submitted_at",
    "accepted_at",
    "accepted_day",
    "decided_at",
    "decided_day",
    "delivered_at",
    "due_at",
    "legal_due_at",
    "outcome",
    "on_time",
    "legal_on_time",
    "used_days",
    "promised_days",
    "legal_days",
    "rating",
    "warned",
    "overdue",
];

/// The row of an insert: id, version, state, the derived columns, where the chain stands, updated_at.
fn insert_values(w: &Write, last_seq: i64, last_hash: &str) -> Vec<Value> {
    let mut v = Vec::with_capacity(w.columns.len() + 6);
    v.push(Value::Int(w.id));
    v.push(Value::Int(w.new_version as i64));
    v.push(w.state.clone().into());
    v.extend(w.columns.iter().cloned());
    v.push(Value::Int(last_seq));
    v.push(last_hash.into());
    v.push(Value::Int(crate::now_millis()));
    v
}

fn insert_columns(table: Table) -> Vec<&'static str> {
    let mut c = vec!["id", "version", "state"];
    c.extend_from_slice(table.columns());
    c.extend_from_slice(&["last_seq", "last_hash", "updated_at"]);
    c
}

/// Writes a batch of aggregate changes inside the caller's transaction. Returns one result per write:
/// `Conflict` for a write whose expected version no longer matches (nothing of it is written).
pub fn write_batch(conn: &mut dyn Conn, writes: &[Write]) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let mut results: Vec<Result<(), StoreError>> = writes.iter().map(|_| Ok(())).collect();
    // Every writer locks rows in (table, id) order, so two writers (PostgreSQL runs several) never
    // wait on each other in a circle.
    let mut order: Vec<usize> = (0..writes.len()).collect();
    order.sort_by_key(|&i| (writes[i].table, writes[i].id));
    let mut inserts: Vec<(Table, Vec<Value>)> = Vec::new();
    for i in order {
        let w = &writes[i];
        let prev_seq = w.journal.first().map(|j| j.seq - 1).unwrap_or(0);
        let last_seq = w.last_seq(prev_seq);
        let first_prev = w
            .journal
            .first()
            .map(|j| j.prev_hash.as_str())
            .unwrap_or(GENESIS_HASH);
        let last_hash = w.last_hash(first_prev).to_owned();
        if let Some(a) = &w.attach
            && !uploads_free_for(conn, a, w.id)?
        {
            results[i] = Err(StoreError::Conflict);
            continue;
        }
        let Some(expected) = w.expected_version else {
            inserts.push((w.table, insert_values(w, last_seq, &last_hash)));
            continue;
        };
        let mut params = vec![
            Value::Int(w.id),
            Value::Int(expected as i64),
            Value::Int(w.new_version as i64),
            w.state.clone().into(),
            Value::Int(last_seq),
            last_hash.into(),
            Value::Int(crate::now_millis()),
        ];
        let mut sets: Vec<String> = ["version", "state", "last_seq", "last_hash", "updated_at"]
            .iter()
            .enumerate()
            .map(|(n, c)| format!("{c} = ${}", n + 3))
            .collect();
        // Only the derived columns whose value changed.
        for (n, (column, value)) in w.table.columns().iter().zip(&w.columns).enumerate() {
            if w.previous.as_ref().is_none_or(|p| p.get(n) != Some(value)) {
                params.push(value.clone());
                sets.push(format!("{column} = ${}", params.len()));
            }
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE id = $1 AND version = $2",
            w.table.name(),
            sets.join(", ")
        );
        if conn.execute(&sql, &params)? != 1 {
            results[i] = Err(StoreError::Conflict);
        }
    }
    for table in [Table::Cases, Table::Tickets] {
        let rows: Vec<Vec<Value>> = inserts
            .iter()
            .filter(|(t, _)| *t == table)
            .map(|(_, r)| r.clone())
            .collect();
        insert_many(conn, table.name(), &insert_columns(table), rows)?;
    }

    let ok = || {
        writes
            .iter()
            .zip(results.iter())
            .filter(|(_, r)| r.is_ok())
            .map(|(w, _)| w)
    };
    for w in ok() {
        if let Some(a) = &w.attach {
            for id in &a.uploads {
                conn.execute(
                    "UPDATE uploads SET case_id = $1 WHERE id = $2 AND owner_user_id = $3",
                    &[Value::Int(w.id), Value::Int(*id), Value::Int(a.owner)],
                )?;
            }
        }
    }
    let mut side: Vec<&SideRows> = ok().flat_map(|w| w.side_rows.iter()).collect();
    side.sort_by_key(|s| s.table);
    for group in side.chunk_by(|a, b| a.table == b.table) {
        let rows = group.iter().flat_map(|s| s.rows.iter().cloned()).collect();
        insert_many(conn, group[0].table, group[0].columns, rows)?;
    }
    let journal: Vec<Vec<Value>> = ok()
        .flat_map(|w| w.journal.iter())
        .map(|j| {
            vec![
                Value::Int(j.case_id),
                Value::Int(j.seq),
                Value::Int(j.at),
                Value::Int(j.actor_id),
                j.actor_name.clone().into(),
                j.actor_role.clone().into(),
                j.action.clone().into(),
                j.opinion.clone().into(),
                j.data.clone().into(),
                j.prev_hash.clone().into(),
                j.hash.clone().into(),
            ]
        })
        .collect();
    insert_many(
        conn,
        "journal",
        &[
            "case_id",
            "seq",
            "at",
            "actor_id",
            "actor_name",
            "actor_role",
            "action",
            "opinion",
            "data",
            "prev_hash",
            "hash",
        ],
        journal,
    )?;

    let task_keys: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.tasks_removed
                .iter()
                .map(move |t| vec![Value::Int(w.id), Value::Int(i64::from(*t))])
        })
        .collect();
    delete_many(conn, "tasks", &["case_id", "task_id"], task_keys)?;
    let tasks: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.tasks_added.iter().map(move |t| {
                vec![
                    Value::Int(w.id),
                    Value::Int(i64::from(t.task_id)),
                    w.table.kind().into(),
                    w.number.clone().into(),
                    w.title.clone().into(),
                    t.department.clone().into(),
                    t.role.clone().into(),
                    t.name.clone().into(),
                    Value::Int(t.opened_at),
                    t.due_at.into(),
                    t.warning_at.into(),
                ]
            })
        })
        .collect();
    insert_many(
        conn,
        "tasks",
        &[
            "case_id",
            "task_id",
            "kind",
            "number",
            "title",
            "department",
            "role",
            "name",
            "opened_at",
            "due_at",
            "warning_at",
        ],
        tasks,
    )?;

    let timer_keys: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.timers_removed
                .iter()
                .map(move |(t, a)| vec![Value::Int(w.id), t.into(), a.into()])
        })
        .collect();
    delete_many(conn, "timers", &["case_id", "target", "alarm"], timer_keys)?;
    let timers: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.timers_added.iter().map(move |t| {
                vec![
                    Value::Int(w.id),
                    t.target.clone().into(),
                    t.alarm.clone().into(),
                    Value::Int(t.fire_at),
                ]
            })
        })
        .collect();
    insert_many(conn, "timers", &["case_id", "target", "alarm", "fire_at"], timers)?;

    let notes: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.notifications.iter().map(move |n| {
                vec![
                    n.user_id.into(),
                    n.department.clone().into(),
                    Value::Int(w.id),
                    n.kind.clone().into(),
                    n.text.clone().into(),
                    Value::Int(n.created_at),
                ]
            })
        })
        .collect();
    insert_many(
        conn,
        "notifications",
        &["user_id", "department", "case_id", "kind", "text", "created_at"],
        notes,
    )?;
    Ok(results)
}

/// Whether every upload of `a` is its owner's and free (or already this aggregate's). On PostgreSQL the
/// rows stay locked until the commit, so two commands cannot take the same upload at once.
fn uploads_free_for(conn: &mut dyn Conn, a: &Attach, aggregate: i64) -> Result<bool, StoreError> {
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let mut free = 0;
    for id in &a.uploads {
        let row = conn.query_one(
            &format!(
                "SELECT 1 FROM uploads WHERE id = $1 AND owner_user_id = $2 AND (case_id IS NULL OR case_id = $3){lock}"
            ),
            &[Value::Int(*id), Value::Int(a.owner), Value::Int(aggregate)],
        )?;
        free += usize::from(row.is_some());
    }
    Ok(free == a.uploads.len())
}

/// `DELETE … WHERE (a = $1 AND b = $2) OR (…)`, chunked. Portable: both backends type the parameters
/// from the columns they are compared with.
fn delete_many(
    conn: &mut dyn Conn,
    table: &str,
    key: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(200) {
        let mut clauses = Vec::with_capacity(chunk.len());
        let mut n = 0;
        for _ in chunk {
            let parts: Vec<String> = key
                .iter()
                .map(|k| {
                    n += 1;
                    format!("{k} = ${n}")
                })
                .collect();
            clauses.push(format!("({})", parts.join(" AND ")));
        }
        let sql = format!("DELETE FROM {table} WHERE {}", clauses.join(" OR "));
        let params: Vec<Value> = chunk.iter().flatten().cloned().collect();
        conn.execute(&sql, &params)?;
    }
    Ok(())
}

/// What [`load_if_changed`] found.
#[derive(Debug)]
pub enum Loaded<A> {
    Missing,
    /// The stored version is the one the caller knows.
    Unchanged,
    /// The committed state and its version.
    Changed(Stored<A>, u64),
}

/// Loads an aggregate's committed state unless its version is still `known`; one query either way
/// (the state is sent only when it changed). `known = 0` always loads.
pub fn load_if_changed<A: serde::de::DeserializeOwned>(
    conn: &mut dyn Conn,
    table: Table,
    id: i64,
    known: u64,
) -> Result<Loaded<A>, StoreError> {
    let sql = format!(
        "SELECT version, CASE WHEN version = $2 THEN NULL ELSE state END, last_seq, last_hash FROM {} WHERE id = $1",
        table.name()
    );
    let Some(row) = conn.query_one(&sql, &[Value::Int(id), Value::Int(known as i64)])? else {
        return Ok(Loaded::Missing);
    };
    let version = row.int(0)? as u64;
    if version == known {
        return Ok(Loaded::Unchanged);
    }
    let value: A = serde_json::from_str(&row.text(1)?)?;
    Ok(Loaded::Changed(
        Stored {
            value,
            last_seq: row.int(2)?,
            last_hash: row.text(3)?,
            derived: None,
        },
        version,
    ))
}

/// A case as stored (for callers outside the engine: tests, statistics, the benchmark).
pub fn load(conn: &mut dyn Conn, id: CaseId) -> Result<Option<StoredCase>, StoreError> {
    Ok(match load_if_changed::<Case>(conn, Table::Cases, id, 0)? {
        Loaded::Changed(mut stored, version) => {
            stored.value.version = version;
            Some(stored)
        }
        Loaded::Missing | Loaded::Unchanged => None,
    })
}

pub fn id_by_number(conn: &mut dyn Conn, number: &str) -> Result<Option<CaseId>, StoreError> {
    conn.query_one("SELECT id FROM cases WHERE number = $1", &[number.into()])?
        .map(|r| r.int(0))
        .transpose()
}

/// One journal entry as the timeline shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct JournalView {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: i64,
    pub actor_name: String,
    pub actor_role: String,
    pub action: String,
    pub opinion: Option<String>,
    pub data: serde_json::Value,
    pub hash: String,
}

pub fn journal(conn: &mut dyn Conn, id: CaseId) -> Result<Vec<JournalRow>, StoreError> {
    let rows = conn.query(
        "SELECT case_id, seq, at, actor_id, actor_name, actor_role, action, opinion, data, prev_hash, hash \
         FROM journal WHERE case_id = $1 ORDER BY seq",
        &[Value::Int(id)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(JournalRow {
                case_id: r.int(0)?,
                seq: r.int(1)?,
                at: r.int(2)?,
                actor_id: r.int(3)?,
                actor_name: r.text(4)?,
                actor_role: r.text(5)?,
                action: r.text(6)?,
                opinion: r.opt_text(7)?,
                data: r.text(8)?,
                prev_hash: r.text(9)?,
                hash: r.text(10)?,
            })
        })
        .collect()
}

impl JournalRow {
    pub fn view(&self) -> JournalView {
        JournalView {
            seq: self.seq,
            at: Timestamp::from_millis(self.at),
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            actor_role: self.actor_role.clone(),
            action: self.action.clone(),
            opinion: self.opinion.clone(),
            data: serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null),
            hash: self.hash.clone(),
        }
    }
}

/// The result of checking a case's hash chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: usize,
    pub intact: bool,
    /// The first entry whose hash does not follow, when the chain is broken.
    pub broken_at: Option<i64>,
}

/// Checks an aggregate's hash chain, from its first entry to the hash its row says is last.
pub fn verify_chain(conn: &mut dyn Conn, id: CaseId) -> Result<ChainCheck, StoreError> {
    let rows = journal(conn, id)?;
    let mut prev = GENESIS_HASH.to_owned();
    for (i, r) in rows.iter().enumerate() {
        if r.seq != i as i64 + 1 || r.prev_hash != prev || r.compute_hash() != r.hash {
            return Ok(ChainCheck {
                entries: rows.len(),
                intact: false,
                broken_at: Some(r.seq),
            });
        }
        prev = r.hash.clone();
    }
    let last = conn.query_one(
        "SELECT last_hash FROM cases WHERE id = $1 UNION ALL SELECT last_hash FROM tickets WHERE id = $1",
        &[Value::Int(id)],
    )?;
    if let Some(last) = last
        && last.text(0)? != prev
    {
        return Ok(ChainCheck {
            entries: rows.len(),
            intact: false,
            broken_at: Some(rows.len() as i64),
        });
    }
    Ok(ChainCheck {
        entries: rows.len(),
        intact: true,
        broken_at: None,
    })
}

/// A task in a department's inbox: a case's step or a ticket's.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InboxRow {
    pub case_id: CaseId,
    /// "case" or "ticket".
    pub kind: String,
    pub number: String,
    pub title: String,
    pub task_id: TaskId,
    pub task_name: String,
    pub role: Option<String>,
    pub opened_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub warning_at: Option<Timestamp>,
}

/// A department's open tasks, the most urgent first (paused tasks, with no due instant, last).
pub fn inbox(
    conn: &mut dyn Conn,
    department: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<InboxRow>, StoreError> {
    let rows = conn.query(
        "SELECT case_id, number, title, task_id, name, role, opened_at, due_at, warning_at, kind \
         FROM tasks WHERE department = $1 \
         ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, opened_at LIMIT $2 OFFSET $3",
        &[department.into(), Value::Int(limit), Value::Int(offset)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(InboxRow {
                case_id: r.int(0)?,
                number: r.text(1)?,
                title: r.text(2)?,
                task_id: r.int(3)? as TaskId,
                task_name: r.text(4)?,
                role: r.opt_text(5)?,
                opened_at: Timestamp::from_millis(r.int(6)?),
                due_at: r.opt_int(7)?.map(Timestamp::from_millis),
                warning_at: r.opt_int(8)?.map(Timestamp::from_millis),
                kind: r.text(9)?,
            })
        })
        .collect()
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub applicant_user_id: Option<i64>,
    pub applicant_key: Option<String>,
    pub status: Option<String>,
    pub department: Option<String>,
    /// Statistics drill-down: cases accepted in [from_day, to_day] (yyyymmdd).
    pub accepted_from_day: Option<i64>,
    pub accepted_to_day: Option<i64>,
    pub item_code: Option<String>,
    pub overdue: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseListRow {
    pub id: CaseId,
    pub number: String,
    pub title: String,
    pub status: String,
    pub department: String,
    pub submitted_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    pub outcome: Option<String>,
    pub warned: bool,
    pub overdue: bool,
}

/// A WHERE clause built from optional filters; `{p}` in a condition is its parameter.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    pub(crate) params: Vec<Value>,
}

impl Filter {
    pub(crate) fn add(&mut self, condition: &str, v: Value) {
        self.params.push(v);
        self.clauses
            .push(condition.replace("{p}", &format!("${}", self.params.len())));
    }

    pub(crate) fn push_clause(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

pub fn list(conn: &mut dyn Conn, f: &CaseFilter) -> Result<Vec<CaseListRow>, StoreError> {
    let mut w = Filter::default();
    // Both applicant filters given means either: the user's own cases and cases in their ID's name.
    match (f.applicant_user_id, &f.applicant_key) {
        (Some(u), Some(k)) => {
            w.add("(applicant_user_id = {p}", Value::Int(u));
            w.params.push(k.into());
            let n = w.params.len();
            if let Some(last) = w.clauses.last_mut() {
                last.push_str(&format!(" OR applicant_key = ${n})"));
            }
        }
        (Some(u), None) => w.add("applicant_user_id = {p}", Value::Int(u)),
        (None, Some(k)) => w.add("applicant_key = {p}", k.into()),
        (None, None) => {}
    }
    if let Some(s) = &f.status {
        w.add("status = {p}", s.into());
    }
    if let Some(d) = &f.department {
        w.add(
            "(department = {p} OR id IN (SELECT case_id FROM case_items WHERE department = {p}))",
            d.into(),
        );
    }
    if let Some(d) = f.accepted_from_day {
        w.add("accepted_day >= {p}", Value::Int(d));
    }
    if let Some(d) = f.accepted_to_day {
        w.add("accepted_day <= {p}", Value::Int(d));
    }
    if let Some(i) = &f.item_code {
        w.add(
            "id IN (SELECT case_id FROM case_items WHERE item_code = {p})",
            i.into(),
        );
    }
    if let Some(o) = f.overdue {
        w.add("overdue = {p}", o.into());
    }
    let filter = w.sql();
    let mut params = w.params;
    params.push(Value::Int(f.limit.clamp(1, 500)));
    params.push(Value::Int(f.offset.max(0)));
    let sql = format!(
        "SELECT id, number, title, status, department, submitted_at, due_at, decided_at, outcome, warned, overdue \
         FROM cases {filter} ORDER BY submitted_at DESC, id DESC LIMIT ${} OFFSET ${}",
        params.len() - 1,
        params.len()
    );
    conn.query(&sql, &params)?.iter().map(list_row).collect()
}

fn list_row(r: &Row) -> Result<CaseListRow, StoreError> {
    Ok(CaseListRow {
        id: r.int(0)?,
        number: r.text(1)?,
        title: r.text(2)?,
        status: r.text(3)?,
        department: r.text(4)?,
        submitted_at: Timestamp::from_millis(r.int(5)?),
        due_at: r.opt_int(6)?.map(Timestamp::from_millis),
        decided_at: r.opt_int(7)?.map(Timestamp::from_millis),
        outcome: r.opt_text(8)?,
        warned: r.int(9)? != 0,
        overdue: r.int(10)? != 0,
    })
}

/// A due timer, claimed by this process for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// The case or ticket.
    pub case_id: CaseId,
    /// "case" or "task:N" for a case, "ticket:<clock>" for a ticket.
    pub target: String,
    pub alarm: Alarm,
    pub fire_at: i64,
}

/// Claims up to `limit` timers due at `now` that no live process holds. On PostgreSQL, `FOR UPDATE
/// SKIP LOCKED` lets several onego processes claim side by side without waiting on each other; the
/// lease (`claimed_until`) hands a timer to another process if this one dies before firing it.
pub fn claim_due_timers(
    conn: &mut dyn Conn,
    owner: &str,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<DueTimer>, StoreError> {
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE timers SET claimed_by = $1, claimed_until = $2 WHERE (case_id, target, alarm) IN \
         (SELECT case_id, target, alarm FROM timers WHERE fire_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
          ORDER BY fire_at LIMIT $4{lock}) RETURNING case_id, target, alarm, fire_at"
    );
    let rows = conn.query(
        &sql,
        &[
            owner.into(),
            Value::Int(now + lease_ms),
            Value::Int(now),
            Value::Int(limit),
        ],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let target = r.text(1)?;
        let alarm = parse_alarm(&r.text(2)?).ok_or_else(|| StoreError::Data("timer alarm".into()))?;
        out.push(DueTimer {
            case_id: r.int(0)?,
            target,
            alarm,
            fire_at: r.int(3)?,
        });
    }
    out.sort_by_key(|t| t.fire_at);
    Ok(out)
}

/// The earliest timer not yet claimed, so the worker can sleep until then.
pub fn next_timer_at(conn: &mut dyn Conn) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_one("SELECT MIN(fire_at) FROM timers", &[])?
        .and_then(|r| r.opt_int(0).ok().flatten()))
}

/// Sets an aggregate's timers to `timers` after one of them fired and changed nothing, provided the
/// aggregate is still at `version`. Returns false, changing nothing but the fired timer's claim, when
/// someone committed a newer version meanwhile: that commit set the timers from the newer state, and
/// rows derived from an older one must not replace them. On PostgreSQL the row is locked, so a commit
/// of the same aggregate waits until this transaction ends.
pub fn replace_timers_at(
    conn: &mut dyn Conn,
    table: Table,
    id: i64,
    version: u64,
    timers: &[TimerRow],
    fired: (&str, &str, Alarm),
) -> Result<bool, StoreError> {
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    };
    let current = conn
        .query_one(
            &format!("SELECT version FROM {} WHERE id = $1{lock}", table.name()),
            &[Value::Int(id)],
        )?
        .map(|r| r.int(0))
        .transpose()?;
    if current != Some(version as i64) {
        // Let the fired timer (if the newer commit kept it) be claimed again at once.
        let (owner, target, alarm) = fired;
        conn.execute(
            "UPDATE timers SET claimed_by = NULL, claimed_until = NULL \
             WHERE case_id = $1 AND target = $2 AND alarm = $3 AND claimed_by = $4",
            &[Value::Int(id), target.into(), alarm.as_str().into(), owner.into()],
        )?;
        return Ok(false);
    }
    conn.execute("DELETE FROM timers WHERE case_id = $1", &[Value::Int(id)])?;
    let rows = timers
        .iter()
        .map(|t| {
            vec![
                Value::Int(id),
                t.target.clone().into(),
                t.alarm.clone().into(),
                Value::Int(t.fire_at),
            ]
        })
        .collect();
    insert_many(conn, "timers", &["case_id", "target", "alarm", "fire_at"], rows)?;
    Ok(true)
}

/// Removes one timer that can never do anything: its aggregate does not exist or its target is unknown.
pub fn drop_timer(conn: &mut dyn Conn, id: i64, target: &str, alarm: Alarm) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM timers WHERE case_id = $1 AND target = $2 AND alarm = $3",
        &[Value::Int(id), target.into(), alarm.as_str().into()],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<CaseId>,
    pub kind: String,
    pub text: String,
    pub created_at: Timestamp,
    pub read: bool,
}

/// A user's notifications: their own and their department's.
pub fn notifications(
    conn: &mut dyn Conn,
    user_id: i64,
    department: Option<&str>,
    limit: i64,
) -> Result<Vec<Notification>, StoreError> {
    let rows = conn.query(
        "SELECT id, case_id, kind, text, created_at, read_at FROM notifications \
         WHERE user_id = $1 OR (department IS NOT NULL AND department = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
        &[Value::Int(user_id), department.map(str::to_owned).into(), Value::Int(limit)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.int(0)?,
                case_id: r.opt_int(1)?,
                kind: r.text(2)?,
                text: r.text(3)?,
                created_at: Timestamp::from_millis(r.int(4)?),
                read: r.opt_int(5)?.is_some(),
            })
        })
        .collect()
}

/// Stored size of one case in bytes (state, journal, tasks, timers), for the benchmark's report.
pub fn stored_bytes(conn: &mut dyn Conn) -> Result<(i64, i64), StoreError> {
    let cases = conn.query_one("SELECT COUNT(*), COALESCE(SUM(LENGTH(state)), 0) FROM cases", &[])?;
    let journal = conn.query_one(
        "SELECT COALESCE(SUM(LENGTH(data) + LENGTH(hash) + LENGTH(prev_hash) + LENGTH(actor_name) + 64), 0) FROM journal",
        &[],
    )?;
    let (n, state) = match cases {
        Some(r) => (r.int(0)?, r.int(1)?),
        None => (0, 0),
    };
    let j = journal.map(|r| r.int(0)).transpose()?.unwrap_or(0);
    Ok((n, state + j))
}
