//! Read models of requests: lists with filters (scoped by the policy), and finding one by number.

use onego_calendar::Timestamp;
use onego_domain::policy::TicketScope;
use onego_domain::ticket::{SupervisionLevel, TicketChannel, TicketStatus, TicketType, Urgency};
use serde::Serialize;

use crate::StoreError;
use crate::query::Filter;
use crate::sql::{Conn, Row, Value};

pub fn ticket_id_by_number(conn: &mut dyn Conn, number: &str) -> Result<Option<i64>, StoreError> {
    conn.query_one("SELECT id FROM tickets WHERE number = $1", &[number.into()])?
        .map(|r| r.int(0))
        .transpose()
}

/// Which requests a list shows: the reader's scope (from the policy), narrowed by filters. Open311
/// and the public tracking page read without a reader: [`TicketScope::All`], and show only public fields.
#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub scope: TicketScope,
    pub ids: Vec<i64>,
    pub status: Vec<TicketStatus>,
    pub category: Vec<String>,
    pub lead: Option<String>,
    pub received_from: Option<i64>,
    pub received_to: Option<i64>,
    pub updated_after: Option<i64>,
    pub supervised: Option<bool>,
    pub overdue: Option<bool>,
    /// A request number, or words of its content.
    pub text: Option<String>,
    /// Keyset paging: only requests listed after this one (received_at, id), newest first.
    pub before: Option<(i64, i64)>,
    pub limit: i64,
    pub offset: i64,
}

impl TicketFilter {
    /// Everything in `scope`, the first `limit` rows.
    pub fn new(scope: TicketScope, limit: i64) -> TicketFilter {
        TicketFilter {
            scope,
            ids: Vec::new(),
            status: Vec::new(),
            category: Vec::new(),
            lead: None,
            received_from: None,
            received_to: None,
            updated_after: None,
            supervised: None,
            overdue: None,
            text: None,
            before: None,
            limit,
            offset: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    pub number: String,
    pub status: TicketStatus,
    pub channel: TicketChannel,
    pub kind: TicketType,
    pub category_code: String,
    pub category: String,
    pub title: String,
    pub content: String,
    pub lead: Option<String>,
    pub urgency: Urgency,
    pub grid: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub received_at: Timestamp,
    pub dispatched_at: Option<Timestamp>,
    pub replied_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub response_due_at: Option<Timestamp>,
    pub solve_due_at: Option<Timestamp>,
    pub satisfaction: Option<i64>,
    pub supervision: Option<SupervisionLevel>,
    pub returns: i64,
    pub reopens: i64,
    pub warned: bool,
    pub overdue: bool,
    pub updated_at: Timestamp,
}

/// A stored code read back into its enum (the serde name is the code).
fn code<T: serde::de::DeserializeOwned>(text: String) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .map_err(|_| StoreError::Data(format!("unknown code {text}")))
}

const ROW_COLUMNS: &str = "id, number, status, channel, kind, category_code, category1, category2, title, content, lead, \
    urgency, grid, lat, lon, address, received_at, dispatched_at, replied_at, closed_at, response_due_at, solve_due_at, \
    satisfaction, supervision, returns, reopens, warned, overdue, updated_at";

fn ticket_row(r: &Row) -> Result<TicketRow, StoreError> {
    let ts = |i| r.opt_int(i).map(|v| v.map(Timestamp::from_millis));
    Ok(TicketRow {
        id: r.int(0)?,
        number: r.text(1)?,
        status: code(r.text(2)?)?,
        channel: code(r.text(3)?)?,
        kind: code(r.text(4)?)?,
        category_code: r.text(5)?,
        category: format!("{} / {}", r.text(6)?, r.text(7)?),
        title: r.text(8)?,
        content: r.text(9)?,
        lead: r.opt_text(10)?,
        urgency: code(r.text(11)?)?,
        grid: r.opt_text(12)?,
        lat: r.opt_real(13)?,
        lon: r.opt_real(14)?,
        address: r.opt_text(15)?,
        received_at: Timestamp::from_millis(r.int(16)?),
        dispatched_at: ts(17)?,
        replied_at: ts(18)?,
        closed_at: ts(19)?,
        response_due_at: ts(20)?,
        solve_due_at: ts(21)?,
        satisfaction: r.opt_int(22)?,
        supervision: r.opt_text(23)?.map(code).transpose()?,
        returns: r.int(24)?,
        reopens: r.int(25)?,
        warned: r.int(26)? != 0,
        overdue: r.int(27)? != 0,
        updated_at: Timestamp::from_millis(r.int(28)?),
    })
}

/// The WHERE clause of a request list: the reader's scope, then the filters.
fn filter_of(f: &TicketFilter) -> Filter {
    let mut w = Filter::default();
    match &f.scope {
        TicketScope::All => {}
        TicketScope::Lead(d) => w.add("lead = {p}", d.as_str().into()),
        TicketScope::Area(a) => w.add("grid = {p}", a.as_str().into()),
        TicketScope::Requester(u) => w.add("requester_user_id = {p}", Value::Int(*u)),
    }
    w.any_of("id", f.ids.iter().map(|i| Value::Int(*i)).collect());
    w.any_of("status", f.status.iter().map(|s| s.as_str().into()).collect());
    w.any_of("category_code", f.category.iter().map(Value::from).collect());
    if let Some(d) = &f.lead {
        w.add("lead = {p}", d.into());
    }
    if let Some(t) = f.received_from {
        w.add("received_at >= {p}", Value::Int(t));
    }
    if let Some(t) = f.received_to {
        w.add("received_at <= {p}", Value::Int(t));
    }
    if let Some(t) = f.updated_after {
        w.add("updated_at > {p}", Value::Int(t));
    }
    match f.supervised {
        Some(true) => w.push_clause("supervision IS NOT NULL"),
        Some(false) => w.push_clause("supervision IS NULL"),
        None => {}
    }
    if let Some(o) = f.overdue {
        w.add("overdue = {p}", o.into());
    }
    w.number_or_words("content", f.text.as_deref());
    w.before("received_at", f.before);
    w
}

/// How many requests a filter matches over all its pages.
pub fn count_tickets(conn: &mut dyn Conn, f: &TicketFilter) -> Result<i64, StoreError> {
    let mut without_paging = f.clone();
    without_paging.before = None;
    let w = filter_of(&without_paging);
    let sql = format!("SELECT COUNT(*) FROM tickets {}", w.sql());
    Ok(conn
        .query_one(&sql, &w.params)?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0))
}

pub fn list_tickets(conn: &mut dyn Conn, f: &TicketFilter) -> Result<Vec<TicketRow>, StoreError> {
    let w = filter_of(f);
    let filter = w.sql();
    let mut params = w.params;
    params.push(Value::Int(f.limit.clamp(1, 1000)));
    params.push(Value::Int(f.offset.max(0)));
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM tickets {filter} ORDER BY received_at DESC, id DESC LIMIT ${} OFFSET ${}",
        params.len() - 1,
        params.len()
    );
    conn.query(&sql, &params)?.iter().map(ticket_row).collect()
}
