//! Durable timers: claimed with a lease (and `FOR UPDATE SKIP LOCKED` on PostgreSQL) so each due timer
//! is handled by one process and passes to another if that one dies; reset only at the version decided on.

use onego_domain::aggregate::AggregateKind;
use onego_domain::timer::Alarm;

use super::{TimerRow, table_of};
use crate::StoreError;
use crate::sql::{Conn, Dialect, Value, insert_many};

/// A due timer, claimed by this process for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTimer {
    /// The case or ticket.
    pub aggregate_id: i64,
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
        "UPDATE timers SET claimed_by = $1, claimed_until = $2 WHERE (aggregate_id, target, alarm) IN \
         (SELECT aggregate_id, target, alarm FROM timers WHERE fire_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3) \
          ORDER BY fire_at LIMIT $4{lock}) RETURNING aggregate_id, target, alarm, fire_at"
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
            aggregate_id: r.int(0)?,
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
    kind: AggregateKind,
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
            &format!("SELECT version FROM {} WHERE id = $1{lock}", table_of(kind)),
            &[Value::Int(id)],
        )?
        .map(|r| r.int(0))
        .transpose()?;
    if current != Some(version as i64) {
        // Let the fired timer (if the newer commit kept it) be claimed again at once.
        let (owner, target, alarm) = fired;
        conn.execute(
            "UPDATE timers SET claimed_by = NULL, claimed_until = NULL \
             WHERE aggregate_id = $1 AND target = $2 AND alarm = $3 AND claimed_by = $4",
            &[Value::Int(id), target.into(), alarm.as_str().into(), owner.into()],
        )?;
        return Ok(false);
    }
    conn.execute("DELETE FROM timers WHERE aggregate_id = $1", &[Value::Int(id)])?;
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
    insert_many(
        conn,
        "timers",
        &["aggregate_id", "target", "alarm", "fire_at"],
        rows,
    )?;
    Ok(true)
}

/// Removes one timer that can never do anything: its aggregate does not exist or its target is unknown.
pub fn drop_timer(conn: &mut dyn Conn, id: i64, target: &str, alarm: Alarm) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM timers WHERE aggregate_id = $1 AND target = $2 AND alarm = $3",
        &[Value::Int(id), target.into(), alarm.as_str().into()],
    )?;
    Ok(())
}

pub(crate) fn parse_alarm(s: &str) -> Option<Alarm> {
    match s {
        "warning" => Some(Alarm::Warning),
        "overdue" => Some(Alarm::Overdue),
        _ => None,
    }
}
