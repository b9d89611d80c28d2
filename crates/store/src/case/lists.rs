//! Read models of applications: lists with filters (scoped by the policy), and finding one by number.

use onego_calendar::Timestamp;
use onego_domain::case::{CaseId, CaseOutcome, CaseStatus};
use onego_domain::policy::CaseScope;
use serde::Serialize;

use crate::StoreError;
use crate::query::Filter;
use crate::sql::{Conn, Row, Value};

/// Which cases a list shows: the reader's scope (from the policy), narrowed by filters.
#[derive(Debug, Clone)]
pub struct CaseFilter {
    pub scope: CaseScope,
    pub status: Option<CaseStatus>,
    pub department: Option<String>,
    /// Statistics drill-down: cases accepted in [from_day, to_day] (yyyymmdd).
    pub accepted_from_day: Option<i64>,
    pub accepted_to_day: Option<i64>,
    pub item_code: Option<String>,
    /// The window's search: cases in this applicant's name (ID number or 统一社会信用代码).
    pub applicant_key: Option<String>,
    /// A case number, or words of the title.
    pub text: Option<String>,
    /// Keyset paging: only cases listed after this one (submitted_at, id), newest first.
    pub before: Option<(i64, i64)>,
    pub overdue: Option<bool>,
    /// The archive (云查档): only cases with a decision (decided, delivered, or not accepted).
    pub archived: bool,
    pub limit: i64,
    pub offset: i64,
}

impl CaseFilter {
    /// Everything in `scope`, the first `limit` rows.
    pub fn new(scope: CaseScope, limit: i64) -> CaseFilter {
        CaseFilter {
            scope,
            status: None,
            department: None,
            accepted_from_day: None,
            accepted_to_day: None,
            item_code: None,
            applicant_key: None,
            text: None,
            archived: false,
            before: None,
            overdue: None,
            limit,
            offset: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseListRow {
    pub id: CaseId,
    pub number: String,
    pub title: String,
    pub status: CaseStatus,
    pub department: String,
    pub submitted_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    pub outcome: Option<CaseOutcome>,
    pub warned: bool,
    pub overdue: bool,
}

const DEPARTMENT_CASES: &str =
    "(department = {p} OR id IN (SELECT case_id FROM case_items WHERE department = {p}))";

/// The WHERE clause of a case list: the reader's scope, then the filters.
fn filter_of(f: &CaseFilter) -> Filter {
    let mut w = Filter::default();
    match &f.scope {
        // An applicant's own: made by their account, or in their ID's name at a window.
        CaseScope::Own {
            user_id,
            applicant: Some(id),
        } => w.add_all(
            "(applicant_user_id = {p1} OR applicant_key = {p2})",
            vec![Value::Int(*user_id), id.as_str().into()],
        ),
        CaseScope::Own {
            user_id,
            applicant: None,
        } => w.add("applicant_user_id = {p}", Value::Int(*user_id)),
        CaseScope::Department(d) => w.add(DEPARTMENT_CASES, d.as_str().into()),
        // Each agreement: the enterprise's cases of the items or projects it names.
        CaseScope::Mandates(ms) => {
            let mut parts = Vec::new();
            let mut values = Vec::new();
            for m in ms {
                values.push(Value::from(m.enterprise.as_str()));
                let who = format!("applicant_key = {{p{}}}", values.len());
                let mut reach = Vec::new();
                for item in &m.items {
                    values.push(item.as_str().into());
                    reach.push(format!("subject_code = {{p{}}}", values.len()));
                }
                for project in &m.projects {
                    values.push(Value::Int(*project));
                    reach.push(format!("project_id = {{p{}}}", values.len()));
                }
                if !reach.is_empty() {
                    parts.push(format!("({who} AND ({}))", reach.join(" OR ")));
                }
            }
            if parts.is_empty() {
                w.add_all("1 = 0", vec![]);
            } else {
                w.add_all(&format!("({})", parts.join(" OR ")), values);
            }
        }
        CaseScope::All => {}
    }
    if let Some(s) = f.status {
        w.add("status = {p}", s.as_str().into());
    }
    if let Some(d) = &f.department {
        w.add(DEPARTMENT_CASES, d.into());
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
    if let Some(k) = &f.applicant_key {
        w.add("applicant_key = {p}", k.into());
    }
    if let Some(o) = f.overdue {
        w.add("overdue = {p}", o.into());
    }
    if f.archived {
        w.add_all("decided_at IS NOT NULL", vec![]);
    }
    w.number_or_words("title", f.text.as_deref());
    w.before("submitted_at", f.before);
    w
}

pub fn list(conn: &mut dyn Conn, f: &CaseFilter) -> Result<Vec<CaseListRow>, StoreError> {
    let w = filter_of(f);
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

/// How many cases the filters match (all pages).
pub fn count(conn: &mut dyn Conn, f: &CaseFilter) -> Result<i64, StoreError> {
    let mut without_paging = f.clone();
    without_paging.before = None;
    let w = filter_of(&without_paging);
    let sql = format!("SELECT COUNT(*) FROM cases {}", w.sql());
    Ok(conn
        .query_one(&sql, &w.params)?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

fn list_row(r: &Row) -> Result<CaseListRow, StoreError> {
    Ok(CaseListRow {
        id: r.int(0)?,
        number: r.text(1)?,
        title: r.text(2)?,
        status: {
            let s = r.text(3)?;
            CaseStatus::parse(&s).ok_or_else(|| StoreError::Data(format!("case status {s}")))?
        },
        department: r.text(4)?,
        submitted_at: Timestamp::from_millis(r.int(5)?),
        due_at: r.opt_int(6)?.map(Timestamp::from_millis),
        decided_at: r.opt_int(7)?.map(Timestamp::from_millis),
        outcome: match r.opt_text(8)? {
            Some(o) => {
                Some(CaseOutcome::parse(&o).ok_or_else(|| StoreError::Data(format!("case outcome {o}")))?)
            }
            None => None,
        },
        warned: r.int(9)? != 0,
        overdue: r.int(10)? != 0,
    })
}

pub fn id_by_number(conn: &mut dyn Conn, number: &str) -> Result<Option<CaseId>, StoreError> {
    conn.query_one("SELECT id FROM cases WHERE number = $1", &[number.into()])?
        .map(|r| r.int(0))
        .transpose()
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
