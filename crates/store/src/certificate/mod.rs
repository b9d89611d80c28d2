//! The electronic certificate as an aggregate on the shared write path: the columns kept beside its
//! state for lookups (by identifier, holder, department, case), its expiry timer, and its journal entries.
//! A certificate opens no tasks; who used it and why is its journal.

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::certificate::{Certificate, CertificateEntry, CertificateStatus};
use onego_domain::org::Actor;
use onego_domain::timer::Alarm;

use crate::aggregate::{Aggregate, Derived, Env, Journaled, NotificationRow, SideRows, TimerRow};
use crate::sql::Value;

pub const CERTIFICATE_COLUMNS: &[&str] = &[
    "identifier",
    "number",
    "status",
    "type_code",
    "type_name",
    "holder_key",
    "holder_name",
    "department",
    "issued_day",
    "valid_until_day",
    "case_id",
    "uses",
];

/// The timer target of a certificate's end of validity.
pub const EXPIRY_TARGET: &str = "certificate:expire";

/// The timer target of a certificate's reminders (云提醒).
pub const REMIND_TARGET: &str = "certificate:remind";

/// The expiry timer (at the start of the day after the last valid day, while it can still expire),
/// and the next reminder's (nine in the morning of its day: before expiry, or of the annual report).
pub fn timer_rows(c: &Certificate, env: Env<'_>) -> Vec<TimerRow> {
    let mut out = Vec::new();
    if let (CertificateStatus::Valid | CertificateStatus::Suspended, Some(last)) =
        (c.status, c.content.valid_until)
    {
        let after = last.succ_opt().unwrap_or(last);
        out.push(TimerRow {
            target: EXPIRY_TARGET.to_owned(),
            alarm: Alarm::Overdue.as_str().to_owned(),
            fire_at: env.calendar.start_of_day(after).as_millis(),
        });
    }
    if c.status == CertificateStatus::Valid {
        let expiry = c
            .content
            .valid_until
            .and_then(|until| c.reminders.next_expiry(until))
            .map(|(_, day)| day);
        let annual = c.reminders.next_annual(c.content.issued_on).map(|(_, day)| day);
        if let Some(day) = [expiry, annual].into_iter().flatten().min() {
            out.push(TimerRow {
                target: REMIND_TARGET.to_owned(),
                alarm: Alarm::Warning.as_str().to_owned(),
                fire_at: env.calendar.start_of_day(day).as_millis() + 9 * 3_600_000,
            });
        }
    }
    out
}

/// The notices a certificate's reminders send its holder, each with the way to renew.
fn notifications(c: &Certificate, entries: &[CertificateEntry], now: Timestamp) -> Vec<NotificationRow> {
    let k = &c.content;
    let renew = c.reminders.renewal_item.as_ref().map_or_else(
        || format!("/certificates/{}", c.id),
        |item| format!("/apply/item/{item}"),
    );
    let mut out = Vec::new();
    for e in entries {
        let (kind, text, extra) = match &e.event {
            onego_domain::certificate::CertificateEvent::ExpiryReminded { days, until } => (
                "certificate_expiring",
                format!(
                    "您的{}（编号 {}）将于 {} 到期（{} 天内）。请及时办理延续或换证",
                    k.type_name,
                    k.number,
                    until.format("%Y年%m月%d日"),
                    days
                ),
                vec![
                    ("until".to_owned(), until.format("%Y年%m月%d日").to_string()),
                    ("until_en".to_owned(), until.format("%-d %B %Y").to_string()),
                    ("days".to_owned(), days.to_string()),
                ],
            ),
            onego_domain::certificate::CertificateEvent::AnnualReportReminded { year } => (
                "annual_report_due",
                format!(
                    "{}：请于 {year} 年 6 月 30 日前报送 {} 年度报告（企业年报）",
                    k.holder_name,
                    year - 1
                ),
                vec![
                    ("year".to_owned(), (year - 1).to_string()),
                    ("deadline".to_owned(), format!("{year}年6月30日")),
                    ("deadline_en".to_owned(), format!("30 June {year}")),
                ],
            ),
            _ => continue,
        };
        let mut params = vec![
            ("number".to_owned(), k.number.clone()),
            ("title".to_owned(), k.type_name.clone()),
            ("link".to_owned(), renew.clone()),
        ];
        params.extend(extra);
        out.push(NotificationRow {
            holder: Some(c.holder.as_str().to_owned()),
            kind: kind.to_owned(),
            text,
            created_at: now.as_millis(),
            params,
            ..Default::default()
        });
    }
    out
}

impl Aggregate for Certificate {
    type Entry = CertificateEntry;
    const KIND: AggregateKind = AggregateKind::Certificate;
    const COLUMNS: &'static [&'static str] = CERTIFICATE_COLUMNS;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &CertificateEntry) {
        Certificate::apply(self, e);
    }
    fn number(&self) -> String {
        self.content.number.clone()
    }
    fn title(&self) -> String {
        format!("{}（{}）", self.content.type_name, self.content.number)
    }
    fn visible_to(&self, actor: &Actor) -> bool {
        Certificate::visible_to(self, actor)
    }
    fn derive(&self, env: Env<'_>, _now: Timestamp) -> Derived {
        let c = &self.content;
        Derived {
            columns: vec![
                c.identifier.clone().into(),
                c.number.clone().into(),
                self.status.as_str().into(),
                c.type_code.clone().into(),
                c.type_name.clone().into(),
                self.holder.as_str().into(),
                c.holder_name.clone().into(),
                self.department.as_str().into(),
                Value::Int(crate::day_number(c.issued_on)),
                c.valid_until.map(crate::day_number).into(),
                self.case_id.into(),
                Value::Int(self.uses as i64),
            ],
            tasks: vec![],
            timers: timer_rows(self, env),
        }
    }
    fn notifications(&self, entries: &[CertificateEntry], now: Timestamp) -> Vec<NotificationRow> {
        notifications(self, entries, now)
    }
    fn side_rows(
        &self,
        _env: Env<'_>,
        _created: bool,
        _entries: &[CertificateEntry],
        _first_seq: i64,
    ) -> Vec<SideRows> {
        vec![]
    }
}

impl Journaled for CertificateEntry {
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

/// A certificate by its identifier (the public status query and `onego cert show`; callers decide what
/// of it to show).
pub fn by_identifier(
    conn: &mut dyn crate::sql::Conn,
    identifier: &str,
) -> Result<Option<Certificate>, crate::StoreError> {
    conn.query_one(
        "SELECT state FROM certificates WHERE identifier = $1",
        &[identifier.trim().into()],
    )?
    .map(|r| Ok(serde_json::from_str(&r.text(0)?)?))
    .transpose()
}

/// A holder's certificates, newest first.
pub fn of_holder(
    conn: &mut dyn crate::sql::Conn,
    holder_key: &str,
) -> Result<Vec<Certificate>, crate::StoreError> {
    conn.query(
        "SELECT state FROM certificates WHERE holder_key = $1 ORDER BY id DESC LIMIT 500",
        &[holder_key.into()],
    )?
    .iter()
    .map(|r| Ok(serde_json::from_str(&r.text(0)?)?))
    .collect()
}

/// The certificates a case's decision issued.
pub fn of_case(conn: &mut dyn crate::sql::Conn, case_id: i64) -> Result<Vec<Certificate>, crate::StoreError> {
    conn.query(
        "SELECT state FROM certificates WHERE case_id = $1 ORDER BY id",
        &[Value::Int(case_id)],
    )?
    .iter()
    .map(|r| Ok(serde_json::from_str(&r.text(0)?)?))
    .collect()
}
