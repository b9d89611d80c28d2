//! Statistics over cases: volume, completion, on time, working days used against promised and legal
//! limits, satisfaction, warnings and overdue — by department, item or period. Everything is computed
//! from the columns the engine keeps beside each case, so one query answers each table.

use serde::Serialize;

use crate::StoreError;
use crate::sql::{Conn, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Department,
    Item,
    Month,
    Day,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "department" => Some(GroupBy::Department),
            "item" => Some(GroupBy::Item),
            "month" => Some(GroupBy::Month),
            "day" => Some(GroupBy::Day),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StatsQuery {
    pub group_by: GroupBy,
    /// Cases accepted from this local day (yyyymmdd), inclusive.
    pub from_day: Option<i64>,
    pub to_day: Option<i64>,
    pub department: Option<String>,
    pub item: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatsRow {
    pub key: String,
    pub label: String,
    /// Cases accepted in the period.
    pub accepted: i64,
    /// Of those, decided.
    pub decided: i64,
    pub completion_rate: Option<f64>,
    pub on_time: i64,
    /// Decided within the promised limit, of those decided.
    pub on_time_rate: Option<f64>,
    /// Decided within the legal limit, of those decided.
    pub legal_on_time_rate: Option<f64>,
    pub avg_used_days: Option<f64>,
    pub avg_promised_days: Option<f64>,
    pub avg_legal_days: Option<f64>,
    pub rated: i64,
    pub avg_rating: Option<f64>,
    /// Rated 4 or 5 (满意, 非常满意), of those rated.
    pub satisfaction_rate: Option<f64>,
    pub warning_open: i64,
    pub overdue_open: i64,
    pub overdue_total: i64,
    /// 云勘验: cases inspected remotely, and the average hours from the task's opening to the record.
    pub inspected: i64,
    pub avg_inspection_hours: Option<f64>,
    /// 云会商: decided cases with a joint review, and the average working days from it to the decision.
    pub met: i64,
    pub avg_meeting_to_decision_days: Option<f64>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

fn avg(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum / n as f64 * 100.0).round() / 100.0)
}

pub fn query(conn: &mut dyn Conn, q: &StatsQuery) -> Result<Vec<StatsRow>, StoreError> {
    let (key, from) = match q.group_by {
        GroupBy::Department => ("c.department", "cases c"),
        GroupBy::Item => ("i.item_code", "cases c JOIN case_items i ON i.case_id = c.id"),
        GroupBy::Month => ("CAST(c.accepted_day / 100 AS TEXT)", "cases c"),
        GroupBy::Day => ("CAST(c.accepted_day AS TEXT)", "cases c"),
    };
    let mut clauses = vec!["c.accepted_day IS NOT NULL".to_owned()];
    let mut params: Vec<Value> = Vec::new();
    if let Some(d) = q.from_day {
        params.push(Value::Int(d));
        clauses.push(format!("c.accepted_day >= ${}", params.len()));
    }
    if let Some(d) = q.to_day {
        params.push(Value::Int(d));
        clauses.push(format!("c.accepted_day <= ${}", params.len()));
    }
    if let Some(d) = &q.department {
        params.push(d.into());
        clauses.push(format!(
            "(c.department = ${n} OR c.id IN (SELECT case_id FROM case_items WHERE department = ${n}))",
            n = params.len()
        ));
    }
    if let Some(i) = &q.item {
        params.push(i.into());
        clauses.push(format!(
            "c.id IN (SELECT case_id FROM case_items WHERE item_code = ${})",
            params.len()
        ));
    }
    let sql = format!(
        "SELECT {key} AS k, COUNT(*), \
         SUM(CASE WHEN c.decided_at IS NOT NULL AND c.status <> 'withdrawn' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.on_time = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.legal_on_time = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.used_days IS NOT NULL THEN c.used_days ELSE 0 END), \
         SUM(CASE WHEN c.used_days IS NOT NULL THEN 1 ELSE 0 END), \
         SUM(c.promised_days), SUM(c.legal_days), \
         SUM(CASE WHEN c.rating IS NOT NULL THEN 1 ELSE 0 END), \
         CAST(SUM(CASE WHEN c.rating IS NOT NULL THEN c.rating ELSE 0 END) AS DOUBLE PRECISION), \
         SUM(CASE WHEN c.rating >= 4 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.status = 'in_review' AND c.warned = 1 AND c.overdue = 0 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.status = 'in_review' AND c.overdue = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.overdue = 1 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.inspection_hours IS NOT NULL THEN 1 ELSE 0 END), \
         CAST(SUM(CASE WHEN c.inspection_hours IS NOT NULL THEN c.inspection_hours ELSE 0 END) AS DOUBLE PRECISION), \
         SUM(CASE WHEN c.meeting_decision_days IS NOT NULL THEN 1 ELSE 0 END), \
         CAST(SUM(CASE WHEN c.meeting_decision_days IS NOT NULL THEN c.meeting_decision_days ELSE 0 END) AS DOUBLE PRECISION) \
         FROM {from} WHERE {} GROUP BY {key} ORDER BY {key}",
        clauses.join(" AND ")
    );
    let rows = conn.query(&sql, &params)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let accepted = r.int(1)?;
        let decided = r.int(2)?;
        let on_time = r.int(3)?;
        let legal_on_time = r.int(4)?;
        let used_n = r.int(6)?;
        let rated = r.int(9)?;
        let key = r.opt_text(0)?.unwrap_or_default();
        out.push(StatsRow {
            label: key.clone(),
            key,
            accepted,
            decided,
            completion_rate: rate(decided, accepted),
            on_time,
            on_time_rate: rate(on_time, decided),
            legal_on_time_rate: rate(legal_on_time, decided),
            avg_used_days: avg(r.real(5)?, used_n),
            avg_promised_days: avg(r.real(7)?, accepted),
            avg_legal_days: avg(r.real(8)?, accepted),
            rated,
            avg_rating: avg(r.real(10)?, rated),
            satisfaction_rate: rate(r.int(11)?, rated),
            warning_open: r.int(12)?,
            overdue_open: r.int(13)?,
            overdue_total: r.int(14)?,
            inspected: r.int(15)?,
            avg_inspection_hours: avg(r.real(16)?, r.int(15)?),
            met: r.int(17)?,
            avg_meeting_to_decision_days: avg(r.real(18)?, r.int(17)?),
        });
    }
    Ok(out)
}
