//! Requests (tickets) on the engine's one path: the hotline's categories and SLA profiles, the grid
//! areas, routing suggestions, the columns kept beside a ticket, its open tasks, timers and
//! notifications, lists and the department rates.

use std::collections::HashMap;
use std::sync::Arc;

use onego_calendar::Timestamp;
use onego_domain::case::Alarm;
use onego_domain::grid::{self, Area, GridLevel};
use onego_domain::org::Actor;
use onego_domain::policy;
use onego_domain::ticket::{
    Category, Intake, SlaProfile, Ticket, TicketChannel, TicketClock, TicketCommand, TicketContext,
    TicketEntry, TicketError, TicketEvent, TicketStatus,
};
use onego_domain::values::Code;
use serde::{Deserialize, Serialize};

use crate::cases::{self, Derived, Journaled, NotificationRow, SideRows, Stored, Table, TaskRow, TimerRow};
use crate::engine::{Aggregate, Engine, EngineError};
use crate::sql::{Conn, Row, Value};
use crate::{StoreError, parking::Mutex};

impl From<TicketError> for EngineError {
    fn from(e: TicketError) -> Self {
        EngineError::Invalid(e.to_string())
    }
}

/// The six Open311 attribute datatypes.
pub const ATTRIBUTE_TYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

/// An extra question a category asks (an Open311 service attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub code: String,
    pub datatype: String,
    #[serde(default)]
    pub required: bool,
    /// The question, as shown to the requester.
    pub description: String,
    #[serde(default)]
    pub datatype_description: String,
    /// For the list types: (key, name) of each choice.
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

/// A request category: its two levels, the department that usually handles it and the SLA profile
/// that applies. The code is the Open311 `service_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketCategory {
    pub code: Code,
    pub level1: String,
    pub level2: String,
    pub department: Code,
    pub sla: Code,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

impl TicketCategory {
    pub fn category(&self) -> Category {
        Category {
            code: self.code.clone(),
            level1: self.level1.clone(),
            level2: self.level2.clone(),
        }
    }

    /// Checks answers against the attributes: required ones present, list values among the choices,
    /// numbers and datetimes well formed. Unknown codes are refused so a typo is not silently lost.
    pub fn check_attributes(&self, answers: &[(String, String)]) -> Result<(), String> {
        for (code, value) in answers {
            let Some(a) = self.attributes.iter().find(|a| a.code == *code) else {
                return Err(format!("{} has no question \"{code}\"", self.code));
            };
            let ok = match a.datatype.as_str() {
                "number" => value.trim().parse::<f64>().is_ok(),
                "datetime" => chrono::DateTime::parse_from_rfc3339(value.trim()).is_ok(),
                "singlevaluelist" | "multivaluelist" => a.values.iter().any(|(k, _)| k == value),
                _ => !value.trim().is_empty(),
            };
            if !ok {
                return Err(match a.datatype.as_str() {
                    "number" => format!("\"{code}\" must be a number"),
                    "datetime" => {
                        format!("\"{code}\" must be a date and time such as 2026-11-22T09:30:00+08:00")
                    }
                    "singlevaluelist" | "multivaluelist" => {
                        let keys: Vec<&str> = a.values.iter().map(|(k, _)| k.as_str()).collect();
                        format!("\"{code}\" must be one of {}", keys.join(", "))
                    }
                    _ => format!("\"{code}\" is empty"),
                });
            }
            if a.datatype == "singlevaluelist" && answers.iter().filter(|(c, _)| c == code).count() > 1 {
                return Err(format!("\"{code}\" takes one value"));
            }
        }
        for a in self.attributes.iter().filter(|a| a.required) {
            if !answers.iter().any(|(c, _)| *c == a.code) {
                return Err(format!("answer \"{}\" ({})", a.code, a.description));
            }
        }
        Ok(())
    }
}

/// The hotline's data: categories, SLA profiles, the centre and the grid areas.
#[derive(Debug, Clone, Default)]
pub struct Hotline {
    pub categories: Vec<TicketCategory>,
    pub sla: Vec<SlaProfile>,
    pub areas: Vec<Area>,
}

/// The 12345 centre's department code: its tasks (dispatch, return visit, extension decisions) land in
/// this inbox.
pub const CENTRE: &str = "hotline";
/// The SLA profile of an enterprise whistle.
pub const WHISTLE_SLA: &str = "whistle";

impl Hotline {
    pub fn category(&self, code: &str) -> Option<&TicketCategory> {
        self.categories.iter().find(|c| c.code.as_str() == code)
    }

    pub fn sla(&self, code: &str) -> Option<&SlaProfile> {
        self.sla.iter().find(|s| s.code.as_str() == code)
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code.as_str() == code)
    }
}

/// The hotline file (`hotline.toml`): SLA profiles and categories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineFile {
    #[serde(default)]
    pub sla: Vec<SlaProfile>,
    #[serde(default)]
    pub category: Vec<TicketCategory>,
}

impl HotlineFile {
    /// Parses and checks a hotline file: every category names a known SLA profile, every attribute
    /// has one of the six datatypes and list attributes have choices.
    pub fn parse(text: &str) -> Result<HotlineFile, String> {
        let f: HotlineFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for c in &f.category {
            if !f.sla.iter().any(|s| s.code == c.sla) {
                return Err(format!(
                    "category {} names SLA profile {} which the file does not define",
                    c.code, c.sla
                ));
            }
            for a in &c.attributes {
                if !ATTRIBUTE_TYPES.contains(&a.datatype.as_str()) {
                    return Err(format!(
                        "category {} attribute {}: datatype must be one of {}",
                        c.code,
                        a.code,
                        ATTRIBUTE_TYPES.join(", ")
                    ));
                }
                if a.datatype.ends_with("valuelist") && a.values.is_empty() {
                    return Err(format!(
                        "category {} attribute {}: a list needs values",
                        c.code, a.code
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// Saves categories and SLA profiles (replacing those with the same codes).
pub fn save_hotline(conn: &mut dyn Conn, file: &HotlineFile) -> Result<(), StoreError> {
    for s in &file.sla {
        conn.execute(
            "DELETE FROM sla_profiles WHERE code = $1",
            &[s.code.as_str().into()],
        )?;
        conn.execute(
            "INSERT INTO sla_profiles (code, data) VALUES ($1, $2)",
            &[s.code.as_str().into(), serde_json::to_string(s)?.into()],
        )?;
    }
    for c in &file.category {
        conn.execute(
            "DELETE FROM ticket_categories WHERE code = $1",
            &[c.code.as_str().into()],
        )?;
        conn.execute(
            "INSERT INTO ticket_categories (code, data) VALUES ($1, $2)",
            &[c.code.as_str().into(), serde_json::to_string(c)?.into()],
        )?;
    }
    crate::bump_config(conn)?;
    Ok(())
}

/// Saves governance areas (replacing those with the same codes).
pub fn save_areas(conn: &mut dyn Conn, areas: &[Area]) -> Result<(), StoreError> {
    for a in areas {
        conn.execute(
            "DELETE FROM grid_areas WHERE code = $1",
            &[a.code.as_str().into()],
        )?;
        let level = serde_json::to_value(a.level)?;
        conn.execute(
            "INSERT INTO grid_areas (code, parent, level, name, data) VALUES ($1, $2, $3, $4, $5)",
            &[
                a.code.as_str().into(),
                a.parent.as_ref().map(|p| p.to_string()).into(),
                level.as_str().unwrap_or("grid").into(),
                a.name.clone().into(),
                serde_json::to_string(a)?.into(),
            ],
        )?;
    }
    crate::bump_config(conn)?;
    Ok(())
}

pub fn load_hotline(conn: &mut dyn Conn) -> Result<Hotline, StoreError> {
    let mut h = Hotline::default();
    for r in conn.query("SELECT data FROM sla_profiles ORDER BY code", &[])? {
        h.sla.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM ticket_categories ORDER BY code", &[])? {
        h.categories.push(serde_json::from_str(&r.text(0)?)?);
    }
    for r in conn.query("SELECT data FROM grid_areas ORDER BY code", &[])? {
        h.areas.push(serde_json::from_str(&r.text(0)?)?);
    }
    Ok(h)
}

// ---- Routing suggestions ----

/// Segmenter and classifier, trained from past dispatches and every new one.
pub struct Routing {
    segmenter: onego_text::Segmenter,
    router: Mutex<onego_text::Router>,
}

/// A routing suggestion: category and department, how sure, and the words that led to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteSuggestion {
    pub category: String,
    pub category_name: String,
    pub department: String,
    pub confidence: f64,
    pub words: Vec<String>,
}

/// A dispatcher's choice that differs from the top suggestion teaches this many times as much.
pub const OVERRIDE_WEIGHT: f64 = 3.0;

fn label(category: &str, department: &str) -> String {
    format!("{category}|{department}")
}

impl Default for Routing {
    fn default() -> Self {
        Routing {
            segmenter: onego_text::Segmenter::default(),
            router: Mutex::new(onego_text::Router::default()),
        }
    }
}

impl Routing {
    pub fn words(&self, text: &str) -> Vec<String> {
        self.segmenter.words(text)
    }

    pub fn learn(&self, words: &[String], category: &str, department: &str, weight: f64) {
        self.router
            .lock()
            .learn(words, &label(category, department), weight);
    }

    /// Learns each category's own words (name, description, keywords) for its usual department, so
    /// a category nobody has dispatched yet can still be suggested. Categories in `known` (already
    /// learned, unchanged) are not learned twice.
    pub fn learn_categories(&self, hotline: &Hotline, known: &[TicketCategory]) {
        for c in hotline.categories.iter().filter(|c| !known.contains(c)) {
            let text = format!(
                "{} {} {} {}",
                c.level1,
                c.level2,
                c.description,
                c.keywords.join(" ")
            );
            self.learn(&self.words(&text), c.code.as_str(), c.department.as_str(), 1.0);
        }
    }

    pub fn suggest_words(&self, words: &[String], n: usize, hotline: &Hotline) -> Vec<RouteSuggestion> {
        let raw = self.router.lock().suggest(words, n);
        raw.into_iter()
            .filter_map(|s| {
                let (c, d) = s.label.split_once('|')?;
                let cat = hotline.category(c)?;
                Some(RouteSuggestion {
                    category: c.to_owned(),
                    category_name: format!("{} / {}", cat.level1, cat.level2),
                    department: d.to_owned(),
                    confidence: s.confidence,
                    words: s.words,
                })
            })
            .collect()
    }
}

/// Past dispatches to learn from: (content, category, lead department), oldest first.
pub fn past_dispatches(conn: &mut dyn Conn, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
    conn.query(
        "SELECT content, category_code, lead FROM tickets WHERE lead IS NOT NULL ORDER BY received_at DESC LIMIT $1",
        &[Value::Int(limit)],
    )?
    .iter()
    .rev()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}

// ---- The ticket as an aggregate ----

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
    const TABLE: Table = Table::Tickets;
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

    fn derive(&self, engine: &Engine, now: Timestamp) -> Derived {
        let calendar = engine.calendar();
        let policy = engine.config().policy;
        let read = |c| self.read(c, &calendar, policy, now);
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
            tasks: ticket_tasks(self, engine),
            timers: engine.ticket_timer_rows(self),
        }
    }

    fn notifications(&self, _: &Engine, entries: &[TicketEntry], now: Timestamp) -> Vec<NotificationRow> {
        let note = |dept: Option<String>, user: Option<i64>, kind: &str, text: String| NotificationRow {
            user_id: user,
            department: dept,
            kind: kind.to_owned(),
            text: format!("{} {}：{text}", self.number, title_of(self)),
            created_at: now.as_millis(),
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
                    out.push(note(Some(dept), None, alarm.as_str(), format!("{what}{word}")));
                }
                TicketEvent::Escalated { to, reason, .. } => out.push(note(
                    Some(to.as_ref().map(|t| t.to_string()).unwrap_or(CENTRE.into())),
                    None,
                    "ticket_escalated",
                    format!("网格上报：{reason}"),
                )),
                TicketEvent::Replied { .. } | TicketEvent::ResolvedInGrid { .. }
                    if self.requester.user_id.is_some() =>
                {
                    out.push(note(
                        None,
                        self.requester.user_id,
                        "ticket_replied",
                        "您的诉求已答复，稍后将回访".into(),
                    ))
                }
                _ => {}
            }
        }
        out
    }

    fn side_rows(&self, engine: &Engine, _: bool, entries: &[TicketEntry], first_seq: i64) -> Vec<SideRows> {
        let calendar = engine.calendar();
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

fn ticket_tasks(t: &Ticket, engine: &Engine) -> Vec<TaskRow> {
    let calendar = engine.calendar();
    let policy = engine.config().policy;
    let due = |c| {
        t.clock(c)
            .and_then(|clock| clock.read(&calendar, policy, clock.start).ok())
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
                name: &str,
                opened: Option<Timestamp>,
                d: (Option<i64>, Option<i64>)| TaskRow {
        task_id,
        department: department.to_owned(),
        role: None,
        name: name.to_owned(),
        opened_at: opened.unwrap_or(t.received_at).as_millis(),
        due_at: d.0,
        warning_at: d.1,
    };
    let mut out = Vec::new();
    match t.status {
        TicketStatus::Received => match &t.holder {
            Some(area) => out.push(task(TASK_GRID, area.as_str(), "网格处置", None, (None, None))),
            None => out.push(task(TASK_DISPATCH, CENTRE, "派单", None, (None, None))),
        },
        TicketStatus::Dispatched => {
            if let Some(lead) = &t.lead {
                out.push(task(
                    TASK_SIGN,
                    lead.as_str(),
                    "签收",
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
                    "办理",
                    t.signed_at,
                    due(TicketClock::Solve),
                ));
            }
            if t.pending_extension.is_some() {
                out.push(task(TASK_EXTENSION, CENTRE, "延期审核", None, (None, None)));
            }
        }
        TicketStatus::Replied => out.push(task(TASK_VISIT, CENTRE, "回访", t.replied_at, (None, None))),
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
                ("报到", due(TicketClock::Response))
            } else {
                ("协办", (None, None))
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

/// What a ticket command did.
#[derive(Debug, Clone)]
pub struct TicketOutcome {
    pub ticket: Arc<Ticket>,
    pub entries: Vec<TicketEntry>,
}

/// A command on a ticket as callers send it: the SLA profile is named by code (the category's own
/// when left out), and departments are checked against the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum TicketAction {
    Dispatch {
        lead: Code,
        #[serde(default)]
        assisting: Vec<Code>,
        /// A category code, when the dispatcher corrects the category at dispatch.
        #[serde(default)]
        category: Option<Code>,
        #[serde(default)]
        sla: Option<Code>,
        #[serde(default)]
        note: String,
    },
    Sign,
    Return {
        reason: String,
    },
    GiveFeedback {
        text: String,
    },
    RequestExtension {
        limit: onego_calendar::Limit,
        reason: String,
    },
    DecideExtension {
        granted: bool,
        #[serde(default)]
        reason: String,
    },
    Reply {
        answer: String,
    },
    ReturnVisit {
        solved: bool,
        satisfaction: u8,
        #[serde(default)]
        note: String,
    },
    /// Merge this request into another (并单), named by number.
    Merge {
        into: String,
    },
    Supervise {
        #[serde(default)]
        reason: String,
    },
    Report,
    ResolveInGrid {
        answer: String,
    },
    Escalate {
        reason: String,
    },
}

impl Engine {
    pub fn hotline(&self) -> Arc<Hotline> {
        self.hotline.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn routing(&self) -> &Routing {
        &self.routing
    }

    /// Trains routing from the most recent past dispatches (at start-up). Returns how many.
    pub fn train_routing(&self, limit: i64) -> Result<usize, StoreError> {
        let past = self.store().read_blocking(move |c| past_dispatches(c, limit))?;
        for (content, category, lead) in &past {
            let words = self.routing.words(content);
            self.routing.learn(&words, category, lead, 1.0);
        }
        Ok(past.len())
    }

    /// Routing suggestions for a request's text.
    pub fn suggest(&self, text: &str, n: usize) -> Vec<RouteSuggestion> {
        let words = self.routing.words(text);
        self.routing.suggest_words(&words, n, &self.hotline())
    }

    pub(crate) fn ticket_timer_rows(&self, t: &Ticket) -> Vec<TimerRow> {
        t.timers(&self.calendar(), self.config().policy)
            .into_iter()
            .map(|(clock, alarm, at)| TimerRow {
                target: format!("ticket:{}", clock_key(clock)),
                alarm: alarm.as_str().to_owned(),
                fire_at: at.as_millis(),
            })
            .collect()
    }

    fn known_department(&self, code: &Code) -> Result<(), EngineError> {
        if self.catalog().departments.iter().any(|d| d.code == *code) {
            Ok(())
        } else {
            Err(EngineError::Invalid(format!("there is no department {code}")))
        }
    }

    /// Registers a request. The category is named by code and filled in from the hotline data; the
    /// grid is found from the coordinates; an enterprise whistle goes at once to the departments named.
    pub async fn intake(
        &self,
        actor: &Actor,
        intake: Intake,
        now: Timestamp,
    ) -> Result<TicketOutcome, EngineError> {
        self.intake_with(actor, intake, &[], now).await
    }

    /// Registers a request with photos the actor uploaded for it (tied to it in the same commit).
    pub async fn intake_with(
        &self,
        actor: &Actor,
        mut intake: Intake,
        photos: &[onego_domain::values::FileRef],
        now: Timestamp,
    ) -> Result<TicketOutcome, EngineError> {
        policy::authorize_intake(actor, &intake)?;
        for a in &intake.attachments {
            check_media_url(a)?;
        }
        let attach = self.check_files(actor, None, photos).await?;
        let hotline = self.hotline();
        let category = hotline
            .category(intake.category.code.as_str())
            .ok_or_else(|| EngineError::Invalid(format!("there is no category {}", intake.category.code)))?;
        category
            .check_attributes(&intake.attributes)
            .map_err(EngineError::Invalid)?;
        intake.category = category.category();
        for d in &intake.summoned {
            self.known_department(d)?;
        }
        if !intake.summoned.is_empty() && intake.channel != TicketChannel::Enterprise {
            return Err(EngineError::Invalid(
                "departments are summoned by an enterprise whistle (channel \"enterprise\")".into(),
            ));
        }
        intake.grid = intake
            .location
            .as_ref()
            .and_then(|l| grid::locate(&hotline.areas, l.lon, l.lat))
            .filter(|a| a.level != GridLevel::Region)
            .map(|a| a.code.clone());
        if intake.channel == TicketChannel::Grid {
            match (&intake.grid, &actor.department) {
                (None, _) => {
                    return Err(EngineError::Invalid(
                        "the location is outside every grid; check the coordinates (latitude, longitude)"
                            .into(),
                    ));
                }
                (Some(g), Some(mine)) if actor.role == onego_domain::org::Role::GridMember => {
                    // A grid member reports in their own area (or an area inside it).
                    let inside = std::iter::successors(hotline.area(g.as_str()), |a| {
                        a.parent.as_ref().and_then(|p| hotline.area(p.as_str()))
                    })
                    .any(|a| a.code == *mine);
                    if !inside {
                        return Err(EngineError::Denied(format!(
                            "the location lies in {g}, outside your area {mine}"
                        )));
                    }
                }
                _ => {}
            }
        }
        let (id, number) = self.next_ids_for("ticket_no", now).await?;
        // Ticket numbers read apart from case numbers: R + region + date + sequence.
        let number = format!("R{number}");
        let (mut ticket, first) = Ticket::receive(id, number, intake, actor, now)?;
        let mut entries = vec![first];
        if !ticket.summoned.is_empty() {
            let sla = hotline
                .sla(WHISTLE_SLA)
                .cloned()
                .ok_or_else(|| EngineError::Invalid("the hotline has no \"whistle\" SLA profile".into()))?;
            let system = Actor::system();
            let calendar = self.calendar();
            let ctx = self.ticket_context(&system, now, &calendar, &hotline);
            let cmd = TicketCommand::Dispatch {
                lead: ticket.summoned[0].clone(),
                assisting: ticket.summoned[1..].to_vec(),
                sla,
                note: "企业吹哨，部门报到".into(),
            };
            for e in ticket.decide(&ctx, &cmd)? {
                ticket.apply(&e);
                entries.push(e);
            }
        }
        let stored = self.create(ticket, &entries, now, attach.as_ref()).await?;
        Ok(TicketOutcome {
            ticket: Arc::new(stored.value.clone()),
            entries,
        })
    }

    fn ticket_context<'a>(
        &'a self,
        actor: &'a Actor,
        now: Timestamp,
        calendar: &'a onego_calendar::WorkingCalendar,
        hotline: &'a Hotline,
    ) -> TicketContext<'a> {
        TicketContext {
            now,
            actor,
            calendar,
            policy: self.config().policy,
            areas: &hotline.areas,
        }
    }

    /// Turns a caller's action into the domain command.
    async fn ticket_command(&self, t: &Ticket, action: &TicketAction) -> Result<TicketCommand, EngineError> {
        let hotline = self.hotline();
        Ok(match action.clone() {
            TicketAction::Dispatch {
                lead,
                assisting,
                category,
                sla,
                note,
            } => {
                self.known_department(&lead)?;
                for d in &assisting {
                    self.known_department(d)?;
                }
                let category_code = category.unwrap_or_else(|| t.category.code.clone());
                let cat = hotline
                    .category(category_code.as_str())
                    .ok_or_else(|| EngineError::Invalid(format!("there is no category {category_code}")))?;
                let sla_code = sla.unwrap_or_else(|| cat.sla.clone());
                let sla = hotline
                    .sla(sla_code.as_str())
                    .cloned()
                    .ok_or_else(|| EngineError::Invalid(format!("there is no SLA profile {sla_code}")))?;
                TicketCommand::Dispatch {
                    lead,
                    assisting,
                    sla,
                    note,
                }
            }
            TicketAction::Sign => TicketCommand::Sign,
            TicketAction::Return { reason } => TicketCommand::Return { reason },
            TicketAction::GiveFeedback { text } => TicketCommand::GiveFeedback { text },
            TicketAction::RequestExtension { limit, reason } => {
                TicketCommand::RequestExtension { limit, reason }
            }
            TicketAction::DecideExtension { granted, reason } => {
                TicketCommand::DecideExtension { granted, reason }
            }
            TicketAction::Reply { answer } => TicketCommand::Reply { answer },
            TicketAction::ReturnVisit {
                solved,
                satisfaction,
                note,
            } => TicketCommand::ReturnVisit {
                solved,
                satisfaction,
                note,
            },
            TicketAction::Merge { into } => {
                let n = into.trim().to_owned();
                let id = self
                    .store()
                    .read(move |c| ticket_id_by_number(c, &n))
                    .await?
                    .ok_or_else(|| {
                        EngineError::Invalid(format!("there is no request {into} to merge into"))
                    })?;
                let target = self.load_current::<Ticket>(id).await?;
                if matches!(target.value.status, TicketStatus::Merged) {
                    return Err(EngineError::Invalid(format!(
                        "{into} was itself merged; merge into the one it went to"
                    )));
                }
                TicketCommand::Merge { into: id }
            }
            TicketAction::Supervise { reason } => TicketCommand::Supervise { reason },
            TicketAction::Report => TicketCommand::Report,
            TicketAction::ResolveInGrid { answer } => TicketCommand::ResolveInGrid { answer },
            TicketAction::Escalate { reason } => TicketCommand::Escalate { reason },
        })
    }

    /// Runs a caller's action on a ticket.
    pub async fn act_on_ticket(
        &self,
        actor: &Actor,
        id: i64,
        action: &TicketAction,
        now: Timestamp,
    ) -> Result<TicketOutcome, EngineError> {
        let current = self.load_current::<Ticket>(id).await?;
        if !policy::can_view_ticket(actor, &current.value)
            && actor.role != onego_domain::org::Role::Dispatcher
        {
            return Err(EngineError::NotFound(format!(
                "there is no request {id} you can see"
            )));
        }
        let cmd = self.ticket_command(&current.value, action).await?;
        // What routing would have said, to weigh the dispatcher's choice when learning.
        let suggested = match &cmd {
            TicketCommand::Dispatch { .. } => {
                let words = self.routing.words(&current.value.content);
                let top = self.routing.suggest_words(&words, 1, &self.hotline());
                Some((words, top.into_iter().next()))
            }
            _ => None,
        };
        let out = self.execute_ticket(actor, id, &cmd, now).await?;
        if let (Some((words, top)), TicketCommand::Dispatch { lead, .. }) = (suggested, &cmd) {
            let category = out.ticket.category.code.as_str();
            let overridden = top.is_some_and(|s| s.category != category || s.department != lead.as_str());
            let weight = if overridden { OVERRIDE_WEIGHT } else { 1.0 };
            self.routing.learn(&words, category, lead.as_str(), weight);
        }
        Ok(out)
    }

    /// Runs a domain command on a ticket (authorised, on the one path).
    pub async fn execute_ticket(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &TicketCommand,
        now: Timestamp,
    ) -> Result<TicketOutcome, EngineError> {
        let hotline = self.hotline();
        let (stored, entries) = self
            .run::<Ticket>(id, now, None, |t| {
                policy::authorize_ticket_command(actor, t, cmd)?;
                let calendar = self.calendar();
                let ctx = self.ticket_context(actor, now, &calendar, &hotline);
                Ok(t.decide(&ctx, cmd)?)
            })
            .await?;
        Ok(TicketOutcome {
            ticket: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// A ticket as the actor may see it.
    pub async fn ticket(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Ticket>>, EngineError> {
        let stored = self.load_current::<Ticket>(id).await?;
        if !policy::can_view_ticket(actor, &stored.value) {
            return Err(EngineError::NotFound(format!(
                "there is no request {id} you can see"
            )));
        }
        Ok(stored)
    }

    /// A ticket with no actor: for the public tracking page and Open311, which show only what the
    /// public may see.
    pub async fn ticket_public(&self, id: i64) -> Result<Arc<Stored<Ticket>>, EngineError> {
        self.load_current::<Ticket>(id).await
    }

    pub async fn ticket_timeline(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<Vec<cases::JournalRow>, EngineError> {
        self.ticket(actor, id).await?;
        Ok(self.store().read(move |c| cases::journal(c, id)).await?)
    }
}

/// A request's attachment given by address (Open311 `media_url`): a plain http(s) address of a picture
/// kept elsewhere, nothing that runs in a browser. Files sent with a request are uploads instead.
pub fn check_media_url(url: &str) -> Result<(), EngineError> {
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
        Err(EngineError::Invalid(format!(
            "the attachment \"{}\" is not an http(s) address of a picture; send photos as files instead",
            u.chars().take(80).collect::<String>()
        )))
    }
}

pub fn ticket_id_by_number(conn: &mut dyn Conn, number: &str) -> Result<Option<i64>, StoreError> {
    conn.query_one("SELECT id FROM tickets WHERE number = $1", &[number.into()])?
        .map(|r| r.int(0))
        .transpose()
}

// ---- Lists ----

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub ids: Vec<i64>,
    pub status: Vec<String>,
    pub category: Vec<String>,
    pub lead: Option<String>,
    pub grid: Option<String>,
    pub requester_user_id: Option<i64>,
    pub received_from: Option<i64>,
    pub received_to: Option<i64>,
    pub updated_after: Option<i64>,
    pub supervised: Option<bool>,
    pub overdue: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub channel: String,
    pub kind: String,
    pub category_code: String,
    pub category: String,
    pub title: String,
    pub content: String,
    pub lead: Option<String>,
    pub urgency: String,
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
    pub supervision: Option<String>,
    pub returns: i64,
    pub reopens: i64,
    pub warned: bool,
    pub overdue: bool,
    pub updated_at: Timestamp,
}

const ROW_COLUMNS: &str = "id, number, status, channel, kind, category_code, category1, category2, title, content, lead, \
    urgency, grid, lat, lon, address, received_at, dispatched_at, replied_at, closed_at, response_due_at, solve_due_at, \
    satisfaction, supervision, returns, reopens, warned, overdue, updated_at";

fn ticket_row(r: &Row) -> Result<TicketRow, StoreError> {
    let ts = |i| r.opt_int(i).map(|v| v.map(Timestamp::from_millis));
    Ok(TicketRow {
        id: r.int(0)?,
        number: r.text(1)?,
        status: r.text(2)?,
        channel: r.text(3)?,
        kind: r.text(4)?,
        category_code: r.text(5)?,
        category: format!("{} / {}", r.text(6)?, r.text(7)?),
        title: r.text(8)?,
        content: r.text(9)?,
        lead: r.opt_text(10)?,
        urgency: r.text(11)?,
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
        supervision: r.opt_text(23)?,
        returns: r.int(24)?,
        reopens: r.int(25)?,
        warned: r.int(26)? != 0,
        overdue: r.int(27)? != 0,
        updated_at: Timestamp::from_millis(r.int(28)?),
    })
}

pub fn list_tickets(conn: &mut dyn Conn, f: &TicketFilter) -> Result<Vec<TicketRow>, StoreError> {
    let mut w = cases::Filter::default();
    let any_of = |w: &mut cases::Filter, column: &str, values: Vec<Value>| {
        let mut parts = Vec::new();
        for v in values {
            w.params.push(v);
            parts.push(format!("${}", w.params.len()));
        }
        w.push_clause(format!("{column} IN ({})", parts.join(", ")));
    };
    if !f.ids.is_empty() {
        any_of(&mut w, "id", f.ids.iter().map(|i| Value::Int(*i)).collect());
    }
    if !f.status.is_empty() {
        any_of(&mut w, "status", f.status.iter().map(Value::from).collect());
    }
    if !f.category.is_empty() {
        any_of(
            &mut w,
            "category_code",
            f.category.iter().map(Value::from).collect(),
        );
    }
    if let Some(d) = &f.lead {
        w.add("lead = {p}", d.into());
    }
    if let Some(g) = &f.grid {
        w.add("grid = {p}", g.into());
    }
    if let Some(u) = f.requester_user_id {
        w.add("requester_user_id = {p}", Value::Int(u));
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
    if let Some(s) = f.supervised {
        w.push_clause(if s {
            "supervision IS NOT NULL".into()
        } else {
            "supervision IS NULL".into()
        });
    }
    if let Some(o) = f.overdue {
        w.add("overdue = {p}", o.into());
    }
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

// ---- Rates ----

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
