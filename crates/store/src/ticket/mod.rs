//! The request (诉求) as an aggregate on the shared write path: the columns kept beside its state for
//! lists and rates, its open tasks (the centre's, the lead's, assisting and summoned departments', the
//! grid level holding it), its timers, the notices it causes and its side rows (returns). Lists are in
//! `lists.rs`, rates in `rates.rs`.

mod lists;
mod rates;

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::hotline::CENTRE;
use onego_domain::labels::Label;
use onego_domain::org::Actor;
use onego_domain::ticket::{Ticket, TicketClock, TicketEntry, TicketEvent, TicketStatus, TicketTask};
use onego_domain::timer::Alarm;
use onego_domain::values::Code;
use serde::Serialize;

use crate::aggregate::{Aggregate, Derived, Env, Journaled, NotificationRow, SideRows, TaskRow, TimerRow};
use crate::sql::Value;

pub use lists::{TicketFilter, TicketRow, count_tickets, list_tickets, ticket_id_by_number};
pub use rates::{Rates, rates};

pub const TICKET_COLUMNS: &[&str] = &[
    "number",
    "status",
    "channel",
    "kind",
    "category_code",
    "category1",
    "category2",
    "title",
    "content",
    "lead",
    "urgency",
    "grid",
    "lat",
    "lon",
    "address",
    "requester_user_id",
    "received_at",
    "received_day",
    "dispatched_at",
    "signed_at",
    "replied_at",
    "closed_at",
    "response_due_at",
    "solve_due_at",
    "responded_on_time",
    "solved_on_time",
    "returns",
    "reopens",
    "satisfaction",
    "solved",
    "merged_into",
    "supervision",
    "warned",
    "overdue",
];

/// A short title for lists and inboxes: the category and the start of the text.
pub fn title_of(t: &Ticket) -> String {
    let head: String = t.content.chars().take(24).collect();
    let more = if t.content.chars().count() > 24 { "…" } else { "" };
    format!("【{}】{head}{more}", t.category.level2)
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn clock_key(c: TicketClock) -> &'static str {
    match c {
        TicketClock::Response => "response",
        TicketClock::Feedback => "feedback",
        TicketClock::Solve => "solve",
    }
}

pub fn parse_clock(s: &str) -> Option<TicketClock> {
    match s {
        "response" => Some(TicketClock::Response),
        "feedback" => Some(TicketClock::Feedback),
        "solve" => Some(TicketClock::Solve),
        _ => None,
    }
}

/// Task numbers of a ticket's open tasks (one of each kind at a time; assisting departments after 100).
const TASK_DISPATCH: u32 = 1;
const TASK_SIGN: u32 = 2;
const TASK_HANDLE: u32 = 3;
const TASK_VISIT: u32 = 4;
const TASK_EXTENSION: u32 = 5;
const TASK_GRID: u32 = 6;
const TASK_ASSIST: u32 = 100;

impl Aggregate for Ticket {
    type Entry = TicketEntry;
    const KIND: AggregateKind = AggregateKind::Ticket;
    const COLUMNS: &'static [&'static str] = TICKET_COLUMNS;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &TicketEntry) {
        Ticket::apply(self, e);
    }
    fn number(&self) -> String {
        self.number.clone()
    }
    fn title(&self) -> String {
        title_of(self)
    }

    fn visible_to(&self, actor: &Actor) -> bool {
        onego_domain::policy::can_view_ticket(actor, self)
    }
    fn derive(&self, env: Env<'_>, now: Timestamp) -> Derived {
        let (calendar, policy) = (env.calendar, env.policy);
        let read = |c| self.read(c, calendar, policy, now);
        let response = read(TicketClock::Response);
        let solve = read(TicketClock::Solve);
        let met = |r: Option<onego_calendar::ClockReading>, done: bool| {
            r.filter(|_| done)
                .map(|r| r.state != onego_calendar::ClockState::Overdue)
        };
        let responded = if self.summoned.is_empty() {
            self.signed_at.is_some()
        } else {
            self.summoned
                .iter()
                .all(|d| self.reports.iter().any(|(r, _)| r == d))
        };
        let columns = vec![
            self.number.clone().into(),
            self.status.as_str().into(),
            snake(&self.channel).into(),
            snake(&self.kind).into(),
            self.category.code.as_str().into(),
            self.category.level1.clone().into(),
            self.category.level2.clone().into(),
            title_of(self).into(),
            self.content.clone().into(),
            self.lead.as_ref().map(|c| c.to_string()).into(),
            snake(&self.urgency).into(),
            self.grid.as_ref().map(|c| c.to_string()).into(),
            self.location.as_ref().map(|l| l.lat).into(),
            self.location.as_ref().map(|l| l.lon).into(),
            self.location.as_ref().map(|l| l.address.clone()).into(),
            self.requester.user_id.into(),
            Value::Int(self.received_at.as_millis()),
            Value::Int(crate::day_number(calendar.local_date(self.received_at))),
            self.dispatched_at.map(Timestamp::as_millis).into(),
            self.signed_at.map(Timestamp::as_millis).into(),
            self.replied_at.map(Timestamp::as_millis).into(),
            self.closed_at.map(Timestamp::as_millis).into(),
            response.and_then(|r| r.due).map(Timestamp::as_millis).into(),
            solve.and_then(|r| r.due).map(Timestamp::as_millis).into(),
            met(response, responded).into(),
            met(solve, self.replied_at.is_some()).into(),
            Value::Int(i64::from(self.returns)),
            Value::Int(i64::from(self.reopens)),
            self.satisfaction.map(i64::from).into(),
            self.solved.into(),
            self.merged_into.into(),
            self.supervision.map(|s| snake(&s)).into(),
            (!self.alarms.is_empty()).into(),
            self.alarms.iter().any(|(_, a)| *a == Alarm::Overdue).into(),
        ];
        Derived {
            columns,
            tasks: ticket_tasks(self, env),
            timers: timer_rows(self, env),
        }
    }

    fn notifications(&self, entries: &[TicketEntry], now: Timestamp) -> Vec<NotificationRow> {
        let params = |extra: &[(&str, String)]| {
            let mut p = vec![
                ("number".to_owned(), self.number.clone()),
                ("title".to_owned(), title_of(self)),
            ];
            p.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            p
        };
        let note = |dept: Option<String>, user: Option<i64>, kind: &str, text: String| NotificationRow {
            user_id: user,
            department: dept,
            kind: kind.to_owned(),
            text: format!("{} {}：{text}", self.number, title_of(self)),
            created_at: now.as_millis(),
            params: params(&[]),
            ..Default::default()
        };
        // The requester: their account, or the phone they gave with their consent to be told.
        let to_requester = |kind: &str, text: String, extra: &[(&str, String)]| NotificationRow {
            params: params(extra),
            phone: match (self.requester.user_id, &self.requester.phone) {
                (None, Some(p)) if self.requester.notify => Some(p.as_str().to_owned()),
                _ => None,
            },
            ..note(None, self.requester.user_id, kind, text)
        };
        let mut out = Vec::new();
        for e in entries {
            match &e.event {
                TicketEvent::Dispatched {
                    lead, assisting, sla, ..
                } => {
                    out.push(note(
                        Some(lead.to_string()),
                        None,
                        "ticket_dispatched",
                        format!("新派单（主办），{}内签收", sla.response.compact()),
                    ));
                    for d in assisting {
                        out.push(note(
                            Some(d.to_string()),
                            None,
                            "ticket_dispatched",
                            "新派单（协办）".into(),
                        ));
                    }
                }
                TicketEvent::Returned { department, reason } => out.push(note(
                    Some(CENTRE.into()),
                    None,
                    "ticket_returned",
                    format!("{department}退单：{reason}，请重新派单"),
                )),
                TicketEvent::ExtensionRequested { limit, reason } => out.push(note(
                    Some(CENTRE.into()),
                    None,
                    "ticket_extension",
                    format!("申请延期{}：{reason}", limit.compact()),
                )),
                TicketEvent::Supervised { level, reason } => {
                    if let Some(lead) = &self.lead {
                        out.push(note(
                            Some(lead.to_string()),
                            None,
                            "ticket_supervised",
                            format!("{}：{reason}", level.zh()),
                        ));
                    }
                }
                TicketEvent::Alarmed { clock, alarm } => {
                    let dept = self.lead.as_ref().map(|d| d.to_string()).unwrap_or(CENTRE.into());
                    let word = match alarm {
                        Alarm::Warning => "即将到期（黄牌预警）",
                        Alarm::Overdue => "已超期（红牌）",
                    };
                    let what = match clock {
                        TicketClock::Response => "签收时限",
                        TicketClock::Feedback => "首次反馈时限",
                        TicketClock::Solve => "办结时限",
                    };
                    out.push(NotificationRow {
                        supervisors: *alarm == Alarm::Overdue,
                        params: params(&[
                            ("what", what.to_owned()),
                            ("what_en", onego_domain::labels::Label::en(clock).to_lowercase()),
                        ]),
                        ..note(Some(dept), None, alarm.as_str(), format!("{what}{word}"))
                    });
                }
                TicketEvent::Escalated { to, reason, .. } => out.push(note(
                    Some(to.as_ref().map(|t| t.to_string()).unwrap_or(CENTRE.into())),
                    None,
                    "ticket_escalated",
                    format!("网格上报：{reason}"),
                )),
                TicketEvent::Received { .. } => {
                    out.push(to_requester(
                        "ticket_received",
                        format!("您的诉求已受理，编号 {}，可凭编号查询办理进度", self.number),
                        &[],
                    ));
                    // An enterprise's whistle: each summoned department is told at once.
                    for d in &self.summoned {
                        out.push(NotificationRow {
                            urgent: true,
                            ..note(
                                Some(d.to_string()),
                                None,
                                "ticket_summoned",
                                "企业吹哨，请按时限报到".into(),
                            )
                        });
                    }
                }
                TicketEvent::FeedbackGiven { text } => out.push(to_requester(
                    "ticket_feedback",
                    format!("承办部门反馈：{text}"),
                    &[("feedback", text.clone())],
                )),
                TicketEvent::Replied { answer } | TicketEvent::ResolvedInGrid { answer, .. } => {
                    out.push(to_requester(
                        "ticket_replied",
                        "您的诉求已答复，稍后将回访".into(),
                        &[("answer", answer.clone())],
                    ))
                }
                TicketEvent::ReturnVisited { .. } => {
                    out.push(to_requester("ticket_visited", "已回访，感谢您的评价".into(), &[]))
                }
                _ => {}
            }
        }
        out.retain(|n| n.user_id.is_some() || n.department.is_some() || n.phone.is_some());
        out
    }

    fn side_rows(&self, env: Env<'_>, _: bool, entries: &[TicketEntry], first_seq: i64) -> Vec<SideRows> {
        let calendar = env.calendar;
        let rows: Vec<Vec<Value>> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match &e.event {
                TicketEvent::Returned { department, .. } => Some(vec![
                    Value::Int(self.id),
                    Value::Int(first_seq + i as i64),
                    department.as_str().into(),
                    Value::Int(e.at.as_millis()),
                    Value::Int(crate::day_number(calendar.local_date(e.at))),
                ]),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return Vec::new();
        }
        vec![SideRows {
            table: "ticket_returns",
            columns: &["ticket_id", "seq", "department", "at", "day"],
            rows,
            keep_existing: false,
        }]
    }
}

impl Journaled for TicketEntry {
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

fn ticket_tasks(t: &Ticket, env: Env<'_>) -> Vec<TaskRow> {
    let (calendar, policy) = (env.calendar, env.policy);
    let due = |c| {
        t.clock(c)
            .and_then(|clock| clock.read(calendar, policy, clock.start).ok())
            .map(|r| {
                (
                    r.due.map(Timestamp::as_millis),
                    r.warning_at.map(Timestamp::as_millis),
                )
            })
            .unwrap_or((None, None))
    };
    let task = |task_id: u32,
                department: &str,
                name: TicketTask,
                opened: Option<Timestamp>,
                d: (Option<i64>, Option<i64>)| TaskRow {
        task_id,
        department: department.to_owned(),
        role: None,
        name: name.as_str().to_owned(),
        opened_at: opened.unwrap_or(t.received_at).as_millis(),
        due_at: d.0,
        warning_at: d.1,
    };
    let mut out = Vec::new();
    match t.status {
        TicketStatus::Received => match &t.holder {
            Some(area) => out.push(task(
                TASK_GRID,
                area.as_str(),
                TicketTask::GridHandling,
                None,
                (None, None),
            )),
            None => out.push(task(
                TASK_DISPATCH,
                CENTRE,
                TicketTask::Dispatch,
                None,
                (None, None),
            )),
        },
        TicketStatus::Dispatched => {
            if let Some(lead) = &t.lead {
                out.push(task(
                    TASK_SIGN,
                    lead.as_str(),
                    TicketTask::Sign,
                    t.dispatched_at,
                    due(TicketClock::Response),
                ));
            }
        }
        TicketStatus::Handling => {
            if let Some(lead) = &t.lead {
                out.push(task(
                    TASK_HANDLE,
                    lead.as_str(),
                    TicketTask::Handle,
                    t.signed_at,
                    due(TicketClock::Solve),
                ));
            }
            if t.pending_extension.is_some() {
                out.push(task(
                    TASK_EXTENSION,
                    CENTRE,
                    TicketTask::ExtensionReview,
                    None,
                    (None, None),
                ));
            }
        }
        TicketStatus::Replied => out.push(task(
            TASK_VISIT,
            CENTRE,
            TicketTask::Visit,
            t.replied_at,
            (None, None),
        )),
        TicketStatus::Closed | TicketStatus::Merged => {}
    }
    if matches!(t.status, TicketStatus::Dispatched | TicketStatus::Handling) {
        let mut named: Vec<&Code> = t.assisting.iter().collect();
        for d in &t.summoned {
            if !named.contains(&d) && t.lead.as_ref() != Some(d) {
                named.push(d);
            }
        }
        for (i, d) in named.into_iter().enumerate() {
            // A summoned department must report within the response limit; an assisting one helps.
            let must_report = t.summoned.contains(d) && !t.reports.iter().any(|(r, _)| r == d);
            let (name, clock) = if must_report {
                (TicketTask::Report, due(TicketClock::Response))
            } else {
                (TicketTask::Assist, (None, None))
            };
            out.push(task(
                TASK_ASSIST + i as u32,
                d.as_str(),
                name,
                t.dispatched_at,
                clock,
            ));
        }
    }
    out
}

/// The timers a request's running clocks need (targets `ticket:<clock>`).
pub fn timer_rows(t: &Ticket, env: Env<'_>) -> Vec<TimerRow> {
    t.timers(env.calendar, env.policy)
        .into_iter()
        .map(|(clock, alarm, at)| TimerRow {
            target: format!("ticket:{}", clock_key(clock)),
            alarm: alarm.as_str().to_owned(),
            fire_at: at.as_millis(),
        })
        .collect()
}

/// The clock a timer target of a request names, if it is one (`ticket:<clock>`).
pub fn parse_timer_target(target: &str) -> Option<TicketClock> {
    target.strip_prefix("ticket:").and_then(parse_clock)
}

/// A request's attachment given by address (Open311 `media_url`): a plain http(s) address of a picture
/// kept elsewhere, nothing that runs in a browser. Files sent with a request are uploads instead.
pub fn check_media_url(url: &str) -> Result<(), String> {
    let u = url.trim();
    let scheme_ok = u.starts_with("https://") || u.starts_with("http://");
    let host_ok = u
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .is_some_and(|h| !h.is_empty());
    if scheme_ok
        && host_ok
        && u.chars().count() <= 500
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Ok(())
    } else {
        Err(format!(
            "the attachment \"{}\" is not an http(s) address of a picture; send photos as files instead",
            u.chars().take(80).collect::<String>()
        ))
    }
}
