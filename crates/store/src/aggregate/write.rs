//! Writing aggregates: everything one command changes in one aggregate ([`Write`]), and a batch of such
//! writes in one transaction (the writer's group commit) with multi-row statements.

use onego_domain::aggregate::AggregateKind;

use super::{GENESIS_HASH, JournalRow, NotificationRow, SideRows, TaskRow, TimerRow, table_of};
use crate::StoreError;
use crate::sql::{Conn, Dialect, Value, insert_many, insert_many_then};
use onego_domain::case::TaskId;

/// Everything one command changes in one aggregate, written in one transaction.
#[derive(Debug, Clone)]
pub struct Write {
    pub kind: AggregateKind,
    /// The names of the columns kept beside the state ([`super::Aggregate::COLUMNS`]).
    pub column_names: &'static [&'static str],
    pub id: i64,
    /// `None` for a new aggregate.
    pub expected_version: Option<u64>,
    pub new_version: u64,
    pub state: String,
    /// Named on the aggregate's task rows, so an inbox needs no join.
    pub number: String,
    pub title: String,
    /// In the order of `column_names`.
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

fn insert_columns(columns: &'static [&'static str]) -> Vec<&'static str> {
    let mut c = vec!["id", "version", "state"];
    c.extend_from_slice(columns);
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
    order.sort_by_key(|&i| (writes[i].kind, writes[i].id));
    let mut inserts: Vec<(AggregateKind, Vec<Value>)> = Vec::new();
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
            inserts.push((w.kind, insert_values(w, last_seq, &last_hash)));
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
        for (n, (column, value)) in w.column_names.iter().zip(&w.columns).enumerate() {
            if w.previous.as_ref().is_none_or(|p| p.get(n) != Some(value)) {
                params.push(value.clone());
                sets.push(format!("{column} = ${}", params.len()));
            }
        }
        let sql = format!(
            "UPDATE {} SET {} WHERE id = $1 AND version = $2",
            table_of(w.kind),
            sets.join(", ")
        );
        if conn.execute(&sql, &params)? != 1 {
            results[i] = Err(StoreError::Conflict);
        }
    }
    for kind in AggregateKind::ALL {
        let Some(columns) = writes.iter().find(|w| w.kind == kind).map(|w| w.column_names) else {
            continue;
        };
        let rows: Vec<Vec<Value>> = inserts
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, r)| r.clone())
            .collect();
        insert_many(conn, table_of(kind), &insert_columns(columns), rows)?;
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
                    "UPDATE uploads SET aggregate_id = $1 WHERE id = $2 AND owner_user_id = $3",
                    &[Value::Int(w.id), Value::Int(*id), Value::Int(a.owner)],
                )?;
            }
        }
    }
    let mut side: Vec<&SideRows> = ok().flat_map(|w| w.side_rows.iter()).collect();
    side.sort_by_key(|s| (s.table, s.keep_existing));
    for group in side.chunk_by(|a, b| a.table == b.table && a.keep_existing == b.keep_existing) {
        let rows = group.iter().flat_map(|s| s.rows.iter().cloned()).collect();
        let on_conflict = if group[0].keep_existing {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        };
        insert_many_then(conn, group[0].table, group[0].columns, rows, on_conflict)?;
    }
    let journal: Vec<Vec<Value>> = ok()
        .flat_map(|w| w.journal.iter())
        .map(|j| {
            vec![
                Value::Int(j.aggregate_id),
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
            "aggregate_id",
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
    delete_many(conn, "tasks", &["aggregate_id", "task_id"], task_keys)?;
    let tasks: Vec<Vec<Value>> = ok()
        .flat_map(|w| {
            w.tasks_added.iter().map(move |t| {
                vec![
                    Value::Int(w.id),
                    Value::Int(i64::from(t.task_id)),
                    w.kind.as_str().into(),
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
            "aggregate_id",
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
    delete_many(conn, "timers", &["aggregate_id", "target", "alarm"], timer_keys)?;
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
    insert_many(
        conn,
        "timers",
        &["aggregate_id", "target", "alarm", "fire_at"],
        timers,
    )?;

    // A notice to a certificate's holder reaches each of the holder's accounts.
    let mut resolved: Vec<(i64, NotificationRow)> = Vec::new();
    for w in ok() {
        for n in &w.notifications {
            match (&n.holder, n.user_id) {
                (Some(holder), None) => {
                    for r in conn.query(
                        "SELECT id FROM users WHERE applicant_key = $1 AND disabled = 0",
                        &[holder.as_str().into()],
                    )? {
                        resolved.push((
                            w.id,
                            NotificationRow {
                                user_id: Some(r.int(0)?),
                                ..n.clone()
                            },
                        ));
                    }
                }
                _ => resolved.push((w.id, n.clone())),
            }
        }
    }
    let notes: Vec<Vec<Value>> = resolved
        .iter()
        .map(|(id, n)| {
            vec![
                n.user_id.into(),
                n.department.clone().into(),
                Value::Int(*id),
                n.kind.clone().into(),
                n.text.clone().into(),
                Value::Int(n.created_at),
            ]
        })
        .collect();
    insert_many(
        conn,
        "notifications",
        &[
            "user_id",
            "department",
            "aggregate_id",
            "kind",
            "text",
            "created_at",
        ],
        notes,
    )?;
    // The same notices, for every further channel their recipients chose: in this transaction.
    let notices: Vec<(i64, &NotificationRow)> = resolved.iter().map(|(id, n)| (*id, n)).collect();
    crate::outbox::expand(conn, &notices)?;
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
                "SELECT 1 FROM uploads WHERE id = $1 AND owner_user_id = $2 AND (aggregate_id IS NULL OR aggregate_id = $3){lock}"
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
