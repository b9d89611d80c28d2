//! The application (办件) as an aggregate on the shared write path: the columns kept beside its state
//! for lists and statistics, its open tasks, its timers, the notices it causes, and its side rows (the
//! items of a bundle). Lists are in `lists.rs`.

mod lists;

use onego_calendar::{Limit, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, Timestamp};
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::{Alarm, Case, CaseId, CaseStatus, ClockTarget, Entry, Event};
use onego_domain::org::Actor;

use crate::StoreError;
use crate::aggregate::{
    Aggregate, Derived, Env, Journaled, Loaded, NotificationRow, SideRows, Stored, TaskRow, TimerRow,
    load_if_changed,
};
use crate::sql::{Conn, Value};

pub use lists::{CaseFilter, CaseListRow, count, id_by_number, list, stored_bytes};

pub type StoredCase = Stored<Case>;

impl Aggregate for Case {
    type Entry = Entry;
    const KIND: AggregateKind = AggregateKind::Case;
    const COLUMNS: &'static [&'static str] = CASE_COLUMNS;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &Entry) {
        Case::apply(self, e);
    }
    fn number(&self) -> String {
        self.number.to_string()
    }
    fn title(&self) -> String {
        self.title.clone()
    }
    fn visible_to(&self, actor: &Actor) -> bool {
        onego_domain::policy::can_view_case(actor, self)
    }
    fn derive(&self, env: Env<'_>, now: Timestamp) -> Derived {
        Derived {
            columns: columns(self, env, now).values(),
            tasks: task_rows(self, env),
            timers: timer_rows(self, env),
        }
    }
    fn notifications(&self, entries: &[Entry], now: Timestamp) -> Vec<NotificationRow> {
        notifications(self, entries, now)
    }
    fn side_rows(&self, _: Env<'_>, created: bool, _: &[Entry], _: i64) -> Vec<SideRows> {
        if !created {
            return Vec::new();
        }
        vec![
            SideRows {
                table: "case_items",
                columns: &["case_id", "item_code", "department"],
                rows: self
                    .flows
                    .iter()
                    .map(|f| {
                        vec![
                            Value::Int(self.id),
                            f.item.to_string().into(),
                            f.department.to_string().into(),
                        ]
                    })
                    .collect(),
                keep_existing: false,
            },
            // The first name an ID is used with stays its name (checked before deciding: `Engine::open_case`).
            SideRows {
                table: "applicant_names",
                columns: &["applicant_key", "name", "bound_at"],
                rows: vec![vec![
                    self.applicant.id.as_str().into(),
                    self.applicant.name.trim().into(),
                    Value::Int(self.submitted_at.as_millis()),
                ]],
                keep_existing: true,
            },
        ]
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
    /// The major project the case is a procedure of.
    pub project_id: Option<i64>,
    /// 云勘验: hours from the inspected task's opening to its (first) inspection record.
    pub inspection_hours: Option<f64>,
    /// 云会商: working days from the first meeting held to the decision.
    pub meeting_decision_days: Option<f64>,
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
            c.project_id.into(),
            c.inspection_hours.into(),
            c.meeting_decision_days.into(),
        ]
    }
}

pub fn target_key(t: ClockTarget) -> String {
    match t {
        ClockTarget::Case => "case".to_owned(),
        ClockTarget::Task(id) => format!("task:{id}"),
        ClockTarget::Collection => "collection".to_owned(),
    }
}

pub fn parse_target(s: &str) -> Option<ClockTarget> {
    if s == "case" {
        return Some(ClockTarget::Case);
    }
    if s == "collection" {
        return Some(ClockTarget::Collection);
    }
    s.strip_prefix("task:")
        .and_then(|n| n.parse().ok())
        .map(ClockTarget::Task)
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
    "project_id",
    "inspection_hours",
    "meeting_decision_days",
];

/// A case as stored (for callers outside the engine: tests, statistics, the benchmark).
pub fn load(conn: &mut dyn Conn, id: CaseId) -> Result<Option<StoredCase>, StoreError> {
    Ok(match load_if_changed::<Case>(conn, AggregateKind::Case, id, 0)? {
        Loaded::Changed(mut stored, version) => {
            stored.value.version = version;
            Some(stored)
        }
        Loaded::Missing | Loaded::Unchanged => None,
    })
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

/// The timers a case's running clocks need.
pub fn timer_rows(case: &Case, env: Env<'_>) -> Vec<TimerRow> {
    case.timers(env.calendar, env.policy)
        .into_iter()
        .map(|t| TimerRow {
            target: target_key(t.target),
            alarm: t.alarm.as_str().to_owned(),
            fire_at: t.fire_at.as_millis(),
        })
        .collect()
}

/// A case's open tasks as its departments' inboxes show them.
pub fn task_rows(case: &Case, env: Env<'_>) -> Vec<TaskRow> {
    case.open_tasks()
        .map(|t| {
            let reading = case
                .task_clock(t)
                .read(env.calendar, env.policy, t.opened_at)
                .ok();
            TaskRow {
                task_id: t.id,
                department: t.department.to_string(),
                role: t.role.clone(),
                name: t.name.clone(),
                opened_at: t.opened_at.as_millis(),
                due_at: reading.and_then(|r| r.due).map(Timestamp::as_millis),
                warning_at: reading.and_then(|r| r.warning_at).map(Timestamp::as_millis),
            }
        })
        .collect()
}

/// A limit in days (working hours counted in office days).
fn limit_days(limit: Limit, env: Env<'_>) -> f64 {
    match limit {
        Limit::WorkingDays(n) | Limit::NaturalDays(n) => f64::from(n),
        Limit::NaturalHours(n) => f64::from(n) / 24.0,
        Limit::WorkingHours(n) => {
            let per_day = f64::from(env.calendar.office_hours().minutes_per_day().max(1)) / 60.0;
            f64::from(n) / per_day
        }
    }
}

/// The columns kept beside a case for lists and statistics.
pub fn columns(case: &Case, env: Env<'_>, now: Timestamp) -> CaseColumns {
    let policy = env.policy;
    let at = case.decided_at.unwrap_or(now);
    let calendar = env.calendar;
    let reading = case.clock().and_then(|c| c.read(calendar, policy, at).ok());
    let legal = case.legal_clock().and_then(|c| c.read(calendar, policy, at).ok());
    let decided =
        case.decided_at.is_some() && case.accepted_at.is_some() && case.status != CaseStatus::Withdrawn;
    let used_days = reading.filter(|_| decided).map(|r| {
        let unit = match case.promised_limit {
            Limit::WorkingHours(_) => {
                i64::from(calendar.office_hours().minutes_per_day().max(1)) * MS_PER_MINUTE
            }
            Limit::NaturalHours(_) => MS_PER_HOUR * 24,
            _ => MS_PER_DAY,
        };
        (r.elapsed_ms as f64 / unit as f64 * 100.0).round() / 100.0
    });
    let subject = match &case.subject {
        onego_domain::case::Subject::Item { code, .. } => ("item", code.to_string()),
        onego_domain::case::Subject::Bundle { code, .. } => ("bundle", code.to_string()),
    };
    CaseColumns {
        number: case.number.to_string(),
        status: case.status.as_str().to_owned(),
        subject_kind: subject.0.to_owned(),
        subject_code: subject.1,
        title: case.title.clone(),
        department: case.department.to_string(),
        applicant_key: case.applicant.id.as_str().to_owned(),
        applicant_user_id: case.applicant.user_id,
        channel: match case.channel {
            onego_domain::case::Channel::Online => "online".into(),
            onego_domain::case::Channel::Window => "window".into(),
        },
        submitted_at: case.submitted_at.as_millis(),
        accepted_at: case.accepted_at.map(Timestamp::as_millis),
        accepted_day: case
            .accepted_at
            .map(|t| crate::day_number(calendar.local_date(t))),
        decided_at: case.decided_at.map(Timestamp::as_millis),
        decided_day: case.decided_at.map(|t| crate::day_number(calendar.local_date(t))),
        delivered_at: case.delivered_at.map(Timestamp::as_millis),
        due_at: reading.and_then(|r| r.due).map(Timestamp::as_millis),
        legal_due_at: legal.and_then(|r| r.due).map(Timestamp::as_millis),
        outcome: case.outcome.map(|o| o.as_str().to_owned()),
        on_time: reading
            .filter(|_| decided)
            .map(|r| r.state != onego_calendar::ClockState::Overdue),
        legal_on_time: legal
            .filter(|_| decided)
            .map(|r| r.state != onego_calendar::ClockState::Overdue),
        used_days,
        promised_days: limit_days(case.promised_limit, env),
        legal_days: limit_days(case.legal_limit, env),
        rating: case.rating.as_ref().map(|r| i64::from(r.level)),
        warned: case.warned,
        overdue: case.overdue,
        project_id: case.project,
        inspection_hours: case.inspections.first().map(|i| {
            let ms = (i.recorded_at.as_millis() - i.task_opened_at.as_millis()).max(0);
            (ms as f64 / MS_PER_HOUR as f64 * 100.0).round() / 100.0
        }),
        meeting_decision_days: case
            .meetings
            .iter()
            .filter_map(|m| m.held_at)
            .min()
            .zip(case.decided_at)
            .map(|(held, decided)| {
                calendar
                    .working_days_between(calendar.local_date(held), calendar.local_date(decided))
                    .value as f64
            }),
    }
}

/// The notices a case's new entries cause: to the applicant (their account, or the mobile number they
/// gave on the application, which the form states is for notices), and to the departments' staff.
fn notifications(case: &Case, entries: &[Entry], now: Timestamp) -> Vec<NotificationRow> {
    let mut out = Vec::new();
    let base = |extra: &[(&str, String)]| {
        let mut p = vec![
            ("number".to_owned(), case.number.to_string()),
            ("title".to_owned(), case.title.clone()),
        ];
        p.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        p
    };
    let to_applicant = |kind: &str, text: String, params: Vec<(String, String)>| NotificationRow {
        user_id: case.applicant.user_id,
        kind: kind.to_owned(),
        text,
        created_at: now.as_millis(),
        params,
        phone: match case.applicant.user_id {
            Some(_) => None,
            None => case.applicant.mobile.as_ref().map(|m| m.as_str().to_owned()),
        },
        // Filed by an agent (no account, no mobile on the form): every account of the enterprise.
        holder: (case.applicant.user_id.is_none() && case.applicant.mobile.is_none())
            .then(|| case.applicant.id.as_str().to_owned()),
        ..Default::default()
    };
    for e in entries {
        match &e.event {
            Event::MeetingConvened { meeting } => {
                let when = meeting
                    .at
                    .to_rfc3339_in(onego_calendar::china_standard_time())
                    .replace('T', " ")
                    .chars()
                    .take(16)
                    .collect::<String>();
                for d in &meeting.departments {
                    out.push(NotificationRow {
                        department: Some(d.to_string()),
                        kind: "meeting_convened".to_owned(),
                        text: format!(
                            "{} {}：邀请参加云会商“{}”，时间 {}",
                            case.number, case.title, meeting.topic, when
                        ),
                        created_at: now.as_millis(),
                        params: base(&[
                            ("what", meeting.topic.clone()),
                            ("date", when.clone()),
                            ("date_en", when.clone()),
                            ("link", meeting.link.clone().unwrap_or_else(|| "—".to_owned())),
                        ]),
                        ..Default::default()
                    });
                }
            }
            Event::Alarmed { target, alarm } => {
                let word = match alarm {
                    Alarm::Warning => "即将到期（黄牌预警）",
                    Alarm::Overdue => "已超期（红牌）",
                };
                let (department, what) = match target {
                    ClockTarget::Case => (case.department.to_string(), "办件".to_owned()),
                    ClockTarget::Task(id) => match case.task(*id) {
                        Some(t) => (t.department.to_string(), format!("环节“{}”", t.name)),
                        None => continue,
                    },
                    ClockTarget::Collection => continue,
                };
                out.push(NotificationRow {
                    department: Some(department),
                    kind: alarm.as_str().to_owned(),
                    text: format!("{} {}：{}{}", case.number, case.title, what, word),
                    created_at: now.as_millis(),
                    params: base(&[("what", what)]),
                    // Overdue reaches the supervisor as well as the staff.
                    supervisors: *alarm == Alarm::Overdue,
                    ..Default::default()
                });
            }
            Event::ExtensionRequested { request } => {
                if let Some(dept) = &e.actor.department {
                    out.push(NotificationRow {
                        department: Some(dept.to_string()),
                        kind: "extension_requested".into(),
                        text: format!(
                            "{} {}：{}申请延期{}{}，待科室负责人审批",
                            case.number,
                            case.title,
                            request.by,
                            request.limit.amount(),
                            request.limit.unit_zh()
                        ),
                        created_at: now.as_millis(),
                        params: base(&[("by", request.by.clone()), ("reason", request.reason.clone())]),
                        supervisors: true,
                        ..Default::default()
                    });
                }
            }
            Event::Accepted { deferred, .. } => {
                let later = if deferred.is_empty() {
                    String::new()
                } else {
                    "（有容缺后补材料，请在领取结果前补齐）".to_owned()
                };
                out.push(to_applicant(
                    "accepted",
                    format!("{} {}：已受理{later}", case.number, case.title),
                    base(&[]),
                ));
            }
            Event::SupplementRequested { request } => {
                let names: Vec<&str> = request.missing.iter().map(|m| m.name.as_str()).collect();
                out.push(to_applicant(
                    "supplement",
                    format!("{} {}：请补正材料：{}", case.number, case.title, names.join("、")),
                    base(&[("materials", names.join("、"))]),
                ));
            }
            Event::CollectionReminded => {
                out.push(to_applicant(
                    "result_waiting",
                    format!(
                        "{} {}：办理结果已出，等待领取。可到窗口领取，或在“我的办件”选择邮寄、电子送达",
                        case.number, case.title
                    ),
                    base(&[]),
                ));
            }
            Event::NotAccepted { reason } => {
                out.push(to_applicant(
                    "not_accepted",
                    format!("{} {}：不予受理。{}", case.number, case.title, reason),
                    base(&[("reason", reason.clone())]),
                ));
            }
            Event::Decided { reason, outcome } => {
                out.push(to_applicant(
                    "decided",
                    format!("{} {}：已作出决定（{}）", case.number, case.title, reason),
                    base(&[
                        ("reason", reason.clone()),
                        // Words, not codes: a template puts them straight into a message.
                        ("outcome", onego_domain::labels::Label::zh(outcome).to_owned()),
                        ("outcome_en", onego_domain::labels::Label::en(outcome).to_owned()),
                    ]),
                ));
            }
            Event::ExtensionGranted { extension } => {
                out.push(to_applicant(
                    "extension_granted",
                    format!(
                        "{} {}：办理时限依法延长{}{}",
                        case.number,
                        case.title,
                        extension.limit.amount(),
                        extension.limit.unit_zh()
                    ),
                    base(&[
                        (
                            "extension",
                            format!("{}{}", extension.limit.amount(), extension.limit.unit_zh()),
                        ),
                        ("extension_en", extension.limit.to_string()),
                    ]),
                ));
            }
            Event::Delivered { .. } => {
                out.push(to_applicant(
                    "delivered",
                    format!("{} {}：结果已送达，欢迎评价", case.number, case.title),
                    base(&[]),
                ));
            }
            _ => {}
        }
    }
    // Without an account and without a number there is nobody to tell.
    out.retain(|n| n.user_id.is_some() || n.department.is_some() || n.phone.is_some());
    out
}
