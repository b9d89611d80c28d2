//! Typed views of list rows, shared by the JSON and HTML sides: what a row shows, in the reader's
//! language, with the traffic-light colour computed in one place. A template reads these fields; a
//! field it asks for that the view lacks fails in debug and test builds.

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::labels::{Label, Lang};
use onego_store::case::CaseListRow;
use onego_store::inbox::{InboxRow, InboxTask, Notification};
use onego_store::ticket::TicketRow;
use serde::Serialize;

use crate::AppState;

/// A time as people read it: `2026-03-02 09:30`, China Standard Time.
pub fn time(t: Timestamp) -> String {
    t.to_rfc3339_in(onego_calendar::china_standard_time())
        .replace('T', " ")
        .chars()
        .take(16)
        .collect()
}

/// A due instant as people read it, the same on every page and notice: a limit in days ends at the
/// close of its last day, which the clock stores as the next midnight; that is shown as "24:00" of the
/// last day (届满之日24时), never as 00:00 of the day after nor as 23:59.
pub fn due_text(t: Timestamp) -> String {
    let local = time(t);
    if local.ends_with(" 00:00") {
        let before = time(Timestamp::from_millis(t.as_millis() - 1));
        format!("{} 24:00", &before[..10])
    } else {
        local
    }
}

/// A time limit in words: "3个工作日", "3 working days".
pub fn limit_words(l: onego_calendar::Limit, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}{}", l.amount(), l.unit_zh()),
        Lang::En => l.to_string(),
    }
}

/// Every application form field's label by its key, from every item and bundle in the catalog.
pub fn field_labels(state: &AppState) -> std::collections::BTreeMap<String, String> {
    let catalog = state.engine.catalog();
    let mut out: std::collections::BTreeMap<String, String> = RULE_FIELDS
        .iter()
        .map(|(k, label, _)| ((*k).to_owned(), (*label).to_owned()))
        .collect();
    for f in catalog.bundles.iter().flat_map(|b| b.form_fields.iter()) {
        out.entry(f.key.clone()).or_insert_with(|| f.label.clone());
    }
    // Fields filled from certificates and shared data carry the certificate's own names.
    for t in &catalog.certificate_types {
        for f in &t.fields {
            if let Some(key) = &f.from {
                out.entry(key.clone())
                    .or_insert_with(|| format!("{}·{}", t.name, f.label));
            }
        }
    }
    out
}

/// The form fields the rules of automatic steps (秒批) and choices read, with their labels and kinds:
/// an item's application form asks for them.
pub const RULE_FIELDS: &[(&str, &str, &str)] = &[
    ("registered_capital", "注册资本（元）", "number"),
    ("business_scope_standard", "经营范围选用规范表述", "choice"),
    ("floor_area", "经营面积（平方米）", "number"),
];

/// A value from an application form as people read it: yes/no for a choice of true or false, a number
/// without a needless ".0", text as written.
pub fn form_value(v: &serde_json::Value, lang: Lang) -> String {
    match v {
        serde_json::Value::Bool(yes) => lang
            .pick(if *yes { "是" } else { "否" }, if *yes { "yes" } else { "no" })
            .to_owned(),
        serde_json::Value::String(s) if s == "true" || s == "false" => {
            let yes = s == "true";
            lang.pick(if yes { "是" } else { "否" }, if yes { "yes" } else { "no" })
                .to_owned()
        }
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// A rule of an automatic step (秒批) in words: the form's field labels instead of their keys, and the
/// comparison in the reader's language.
pub fn rule_words(rule: &str, fields: &std::collections::BTreeMap<String, String>, lang: Lang) -> String {
    let mut out = Vec::new();
    for token in rule.split_whitespace() {
        let word = match token {
            "and" => lang.pick("且", "and").to_owned(),
            "or" => lang.pick("或", "or").to_owned(),
            "not" => lang.pick("非", "not").to_owned(),
            "==" => lang.pick("为", "is").to_owned(),
            "!=" => lang.pick("不为", "is not").to_owned(),
            "<=" => "≤".to_owned(),
            ">=" => "≥".to_owned(),
            "true" => lang.pick("是", "yes").to_owned(),
            "false" => lang.pick("否", "no").to_owned(),
            "in" => lang.pick("属于", "is one of").to_owned(),
            other => fields.get(other).cloned().unwrap_or_else(|| other.to_owned()),
        };
        out.push(word);
    }
    out.join(" ")
}

/// A department's name from its code (the code itself when the catalog has no such department).
pub fn dept_name(state: &AppState, code: &str) -> String {
    onego_domain::values::Code::parse(code)
        .ok()
        .and_then(|c| state.engine.catalog().department(&c).map(|d| d.name.clone()))
        // Grid staff work for a governance area rather than a department.
        .or_else(|| state.engine.hotline().area(code).map(|a| a.name.clone()))
        .unwrap_or_else(|| code.to_owned())
}

/// Green (running), yellow (warning), red (overdue) or grey (paused, or no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
    Grey,
}

impl Light {
    /// From a due and a warning instant at `now`.
    pub fn of(due: Option<Timestamp>, warning: Option<Timestamp>, now: Timestamp) -> Light {
        match (due, warning) {
            (None, _) => Light::Grey,
            (Some(d), _) if now >= d => Light::Red,
            (_, Some(w)) if now >= w => Light::Yellow,
            _ => Light::Green,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::Grey => "grey",
        }
    }
}

/// The name of an inbox task as people know it: a step's name, or a request task's label.
pub fn task_name(task: &InboxTask, lang: Lang) -> String {
    match task {
        InboxTask::Step(name) => name.clone(),
        InboxTask::Ticket(t) => t.label(lang).to_owned(),
    }
}

/// A request in a list.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRowView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub content: String,
    pub category: String,
    pub category_code: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub lead: Option<String>,
    pub received: String,
    pub due: Option<String>,
    pub supervision: Option<&'static str>,
    pub satisfaction: Option<i64>,
    pub returns: i64,
    pub reopens: i64,
    pub colour: &'static str,
    pub address: Option<String>,
}

impl TicketRowView {
    pub fn new(state: &AppState, r: &TicketRow, lang: Lang, now: Timestamp) -> TicketRowView {
        let due = r.solve_due_at.or(r.response_due_at);
        let colour = match (due, r.overdue, r.warned) {
            (_, true, _) => Light::Red,
            (_, _, true) => Light::Yellow,
            (Some(d), _, _) if now >= d => Light::Red,
            (Some(_), _, _) => Light::Green,
            (None, _, _) => Light::Grey,
        };
        TicketRowView {
            id: r.id,
            number: r.number.clone(),
            title: r.title.clone(),
            content: r.content.clone(),
            category: r.category.clone(),
            category_code: r.category_code.clone(),
            status: r.status.as_str(),
            status_label: r.status.label(lang),
            lead: r.lead.as_deref().map(|d| dept_name(state, d)),
            received: time(r.received_at),
            due: due.map(due_text),
            supervision: r.supervision.map(|l| l.label(lang)),
            satisfaction: r.satisfaction,
            returns: r.returns,
            reopens: r.reopens,
            colour: colour.as_str(),
            address: r.address.clone(),
        }
    }
}

/// An application in a list.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRowView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub department: String,
    pub submitted: String,
    pub due: Option<String>,
    pub overdue: bool,
    pub warned: bool,
    pub outcome: Option<&'static str>,
}

impl CaseRowView {
    pub fn new(state: &AppState, r: &CaseListRow, lang: Lang) -> CaseRowView {
        CaseRowView {
            id: r.id,
            number: r.number.clone(),
            title: r.title.clone(),
            status: r.status.as_str(),
            status_label: r.status.label(lang),
            department: dept_name(state, &r.department),
            submitted: time(r.submitted_at),
            due: r.due_at.map(due_text),
            overdue: r.overdue,
            warned: r.warned,
            outcome: r.outcome.map(|o| o.as_str()),
        }
    }
}

/// A task in an inbox: a case's step or a request's task.
#[derive(Debug, Clone, Serialize)]
pub struct InboxRowView {
    pub case_id: i64,
    pub href: String,
    pub kind: &'static str,
    pub number: String,
    pub title: String,
    pub task: String,
    pub role: Option<String>,
    pub opened: String,
    pub due: Option<String>,
    pub colour: &'static str,
}

impl InboxRowView {
    pub fn new(r: &InboxRow, lang: Lang, now: Timestamp) -> InboxRowView {
        InboxRowView {
            case_id: r.aggregate_id,
            href: match r.kind {
                AggregateKind::Ticket => format!("/tickets/{}", r.aggregate_id),
                AggregateKind::Case => format!("/cases/{}", r.aggregate_id),
                AggregateKind::Certificate => format!("/certificates/{}", r.aggregate_id),
                AggregateKind::Project => format!("/projects/{}", r.aggregate_id),
                AggregateKind::Agreement => format!("/agreements/{}", r.aggregate_id),
            },
            kind: r.kind.as_str(),
            number: r.number.clone(),
            title: r.title.clone(),
            task: task_name(&r.task, lang),
            role: r.role.clone(),
            opened: time(r.opened_at),
            due: r.due_at.map(due_text),
            colour: Light::of(r.due_at, r.warning_at, now).as_str(),
        }
    }
}

/// A notification as a list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    pub text: String,
    pub at: String,
    pub case_id: Option<i64>,
    pub kind: String,
    /// Where the notice leads: the request, the certificate (to renew it), or the case.
    pub href: Option<String>,
}

impl From<&Notification> for NotificationView {
    fn from(n: &Notification) -> NotificationView {
        let href = n.aggregate_id.map(|id| match n.kind.as_str() {
            k if k.starts_with("ticket") => format!("/tickets/{id}"),
            "certificate_expiring" | "annual_report_due" => format!("/certificates/{id}"),
            _ => format!("/cases/{id}"),
        });
        NotificationView {
            text: n.text.clone(),
            at: time(n.created_at),
            case_id: n.aggregate_id,
            kind: n.kind.clone(),
            href,
        }
    }
}

/// A typed view as a template value.
pub fn value<T: Serialize>(v: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

/// A list as a spreadsheet download: CSV with every cell quoted, UTF-8 with a byte-order mark so Excel
/// opens the Chinese, lines ended by CRLF.
pub fn csv_response(file_name: &str, head: &[String], rows: &[Vec<String>]) -> axum::response::Response {
    use axum::response::IntoResponse;
    let line = |cells: &[String]| {
        let mut l = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(",");
        l.push_str("\r\n");
        l
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&line(head));
    for r in rows {
        out.push_str(&line(r));
    }
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        out,
    )
        .into_response()
}
