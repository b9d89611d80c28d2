//! The rates by lead department (response, on time, first-time resolution, resolution, satisfaction,
//! return, reopen) for requests received in a period.

use std::collections::HashMap;

use serde::Serialize;

use crate::StoreError;
use crate::sql::{Conn, Value};

/// A department's rates over a period (tickets received in it, each counted for its lead department).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rates {
    pub department: String,
    /// Tickets dispatched to the department and kept (not returned).
    pub tickets: i64,
    /// Signed (or all named departments reported) within the response limit, of those with a response.
    pub response_rate: Option<f64>,
    /// Answered within the solve limit, of those answered.
    pub on_time_rate: Option<f64>,
    /// Closed without ever being reopened, of those closed.
    pub first_time_resolution_rate: Option<f64>,
    /// Visited and found solved, of those visited.
    pub resolution_rate: Option<f64>,
    /// Rated 4 or 5 (满意, 非常满意), of those rated.
    pub satisfaction_rate: Option<f64>,
    /// Returns by the department, of everything dispatched to it (kept + returned).
    pub return_rate: Option<f64>,
    /// Reopened at least once, of those visited.
    pub reopen_rate: Option<f64>,
    pub returned: i64,
    pub closed: i64,
    pub overdue: i64,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 / d as f64 * 1000.0).round() / 1000.0)
}

/// Rates by lead department for tickets received on days [from_day, to_day] (yyyymmdd).
pub fn rates(conn: &mut dyn Conn, from_day: i64, to_day: i64) -> Result<Vec<Rates>, StoreError> {
    let rows = conn.query(
        "SELECT lead, COUNT(*), \
           SUM(CASE WHEN responded_on_time = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN responded_on_time IS NOT NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN solved_on_time = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN solved_on_time IS NOT NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN status = 'closed' AND reopens = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), \
           SUM(CASE WHEN solved = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN solved IS NOT NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN satisfaction >= 4 THEN 1 ELSE 0 END), SUM(CASE WHEN satisfaction IS NOT NULL THEN 1 ELSE 0 END), \
           SUM(CASE WHEN reopens > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN overdue = 1 THEN 1 ELSE 0 END) \
         FROM tickets WHERE lead IS NOT NULL AND status <> 'merged' AND received_day >= $1 AND received_day <= $2 \
         GROUP BY lead ORDER BY lead",
        &[Value::Int(from_day), Value::Int(to_day)],
    )?;
    let returns: HashMap<String, i64> = conn
        .query(
            "SELECT department, COUNT(*) FROM ticket_returns WHERE day >= $1 AND day <= $2 GROUP BY department",
            &[Value::Int(from_day), Value::Int(to_day)],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?)))
        .collect::<Result<_, StoreError>>()?;
    let mut out: Vec<Rates> = rows
        .iter()
        .map(|r| {
            let n = |i| r.opt_int(i).map(|v| v.unwrap_or(0));
            let department = r.text(0)?;
            let tickets = n(1)?;
            let returned = returns.get(&department).copied().unwrap_or(0);
            Ok(Rates {
                response_rate: ratio(n(2)?, n(3)?),
                on_time_rate: ratio(n(4)?, n(5)?),
                first_time_resolution_rate: ratio(n(6)?, n(7)?),
                resolution_rate: ratio(n(8)?, n(9)?),
                satisfaction_rate: ratio(n(10)?, n(11)?),
                return_rate: ratio(returned, tickets + returned),
                reopen_rate: ratio(n(12)?, n(9)?),
                closed: n(7)?,
                overdue: n(13)?,
                returned,
                tickets,
                department,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    // A department that only returned requests still has a return rate.
    for (d, r) in returns {
        if !out.iter().any(|o| o.department == d) {
            out.push(Rates {
                department: d,
                tickets: 0,
                response_rate: None,
                on_time_rate: None,
                first_time_resolution_rate: None,
                resolution_rate: None,
                satisfaction_rate: None,
                return_rate: ratio(r, r),
                reopen_rate: None,
                returned: r,
                closed: 0,
                overdue: 0,
            });
        }
    }
    out.sort_by(|a, b| a.department.cmp(&b.department));
    Ok(out)
}
