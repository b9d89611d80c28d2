//! Read models of work waiting on people: a department's inbox (case steps and request tasks together,
//! the most urgent first) and a person's notifications.

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::TaskId;
use onego_domain::ticket::TicketTask;
use serde::Serialize;

use crate::StoreError;
use crate::sql::{Conn, Value};

/// What a task in an inbox asks for: a step of an application's process (named by its definition), or
/// one of a request's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum InboxTask {
    Step(String),
    Ticket(TicketTask),
}

impl InboxTask {
    /// From a task row: a request's tasks are stored by code, an application's steps by name.
    fn from_row(kind: AggregateKind, name: String) -> Result<InboxTask, StoreError> {
        match kind {
            AggregateKind::Case => Ok(InboxTask::Step(name)),
            AggregateKind::Ticket => TicketTask::parse(&name)
                .map(InboxTask::Ticket)
                .ok_or_else(|| StoreError::Data(format!("unknown request task {name}"))),
            // A certificate opens no tasks.
            AggregateKind::Certificate => Err(StoreError::Data(format!("a certificate has no task {name}"))),
            // A project opens none either: its procedures are cases.
            AggregateKind::Project => Err(StoreError::Data(format!("a project has no task {name}"))),
            AggregateKind::Agreement => Err(StoreError::Data(format!("an agreement has no task {name}"))),
        }
    }
}

/// A task in a department's inbox: a case's step or a ticket's.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InboxRow {
    pub aggregate_id: i64,
    pub kind: AggregateKind,
    pub number: String,
    pub title: String,
    pub task_id: TaskId,
    pub task: InboxTask,
    pub role: Option<String>,
    pub opened_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub warning_at: Option<Timestamp>,
}

/// A department's open tasks, the most urgent first (paused tasks, with no due instant, last); with
/// `only`, just the request tasks of that kind (the centre's boards).
pub fn inbox(
    conn: &mut dyn Conn,
    department: &str,
    only: Option<TicketTask>,
    limit: i64,
    offset: i64,
) -> Result<Vec<InboxRow>, StoreError> {
    let columns = "SELECT aggregate_id, number, title, task_id, name, role, opened_at, due_at, warning_at, kind FROM tasks";
    let order = "ORDER BY CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, opened_at LIMIT $2 OFFSET $3";
    let rows = match only {
        None => conn.query(
            &format!("{columns} WHERE department = $1 {order}"),
            &[department.into(), Value::Int(limit), Value::Int(offset)],
        )?,
        Some(task) => conn.query(
            &format!("{columns} WHERE department = $1 AND kind = 'ticket' AND name = $4 {order}"),
            &[
                department.into(),
                Value::Int(limit),
                Value::Int(offset),
                task.as_str().into(),
            ],
        )?,
    };
    rows.iter()
        .map(|r| {
            let kind = r.text(9)?;
            let kind =
                AggregateKind::parse(&kind).ok_or_else(|| StoreError::Data(format!("task kind {kind}")))?;
            Ok(InboxRow {
                aggregate_id: r.int(0)?,
                number: r.text(1)?,
                title: r.text(2)?,
                task_id: r.int(3)? as TaskId,
                task: InboxTask::from_row(kind, r.text(4)?)?,
                role: r.opt_text(5)?,
                opened_at: Timestamp::from_millis(r.int(6)?),
                due_at: r.opt_int(7)?.map(Timestamp::from_millis),
                warning_at: r.opt_int(8)?.map(Timestamp::from_millis),
                kind,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub aggregate_id: Option<i64>,
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
        "SELECT id, aggregate_id, kind, text, created_at, read_at FROM notifications \
         WHERE user_id = $1 OR (department IS NOT NULL AND department = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
        &[Value::Int(user_id), department.map(str::to_owned).into(), Value::Int(limit)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.int(0)?,
                aggregate_id: r.opt_int(1)?,
                kind: r.text(2)?,
                text: r.text(3)?,
                created_at: Timestamp::from_millis(r.int(4)?),
                read: r.opt_int(5)?.is_some(),
            })
        })
        .collect()
}
