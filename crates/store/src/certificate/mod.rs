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

/// The expiry timer: at the start of the day after the last valid day, while it can still expire.
pub fn timer_rows(c: &Certificate, env: Env<'_>) -> Vec<TimerRow> {
    match (c.status, c.content.valid_until) {
        (CertificateStatus::Valid | CertificateStatus::Suspended, Some(last)) => {
            let after = last.succ_opt().unwrap_or(last);
            vec![TimerRow {
                target: EXPIRY_TARGET.to_owned(),
                alarm: Alarm::Overdue.as_str().to_owned(),
                fire_at: env.calendar.start_of_day(after).as_millis(),
            }]
        }
        _ => vec![],
    }
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
    fn notifications(&self, _entries: &[CertificateEntry], _now: Timestamp) -> Vec<NotificationRow> {
        // Reminders before expiry and notices of suspension reach the holder through 云提醒 (next step).
        vec![]
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
