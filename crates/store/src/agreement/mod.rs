//! Agency agreements (代办协议) as an aggregate on the shared write path: the columns kept beside the state
//! for the lists of the enterprise, the agent and the agency centre, the expiry timer, its notices, and
//! the mandates an agent's account carries.

use onego_calendar::Timestamp;
use onego_domain::agency::{Agreement, AgreementEntry, AgreementEvent, AgreementStatus, Mandate};
use onego_domain::aggregate::AggregateKind;
use onego_domain::org::Actor;

use crate::StoreError;
use crate::aggregate::{Aggregate, Derived, Env, Journaled, NotificationRow, SideRows, TimerRow};
use crate::sql::{Conn, Value};

pub const AGREEMENT_COLUMNS: &[&str] = &[
    "number",
    "enterprise_key",
    "agent_user",
    "department",
    "status",
    "valid_until",
    "created_at",
];

/// The timer target of an agreement's last day.
pub const EXPIRY_TARGET: &str = "agreement:expiry";

pub fn timer_rows(a: &Agreement, env: Env<'_>) -> Vec<TimerRow> {
    crate::aggregate::next_date_timer(EXPIRY_TARGET, a.next_check(env.calendar))
}

/// Signing, the expiry reminder, expiry and revocation are told to the agent, the enterprise's accounts
/// and the agency centre.
fn notifications(a: &Agreement, entries: &[AgreementEntry], now: Timestamp) -> Vec<NotificationRow> {
    let mut out = Vec::new();
    for e in entries {
        let until = a.valid_until.format("%Y年%m月%d日").to_string();
        let (kind, text) = match &e.event {
            AgreementEvent::Signed { .. } => (
                "agreement_signed",
                format!(
                    "代办协议 {} 已签订：{} 委托 {} 代办，有效期至 {until}",
                    a.number, a.enterprise.name, a.agent_name
                ),
            ),
            AgreementEvent::ExpiryReminded => (
                "agreement_expiring",
                format!(
                    "代办协议 {}（{}）将于 {until} 到期，如需继续代办请及时续签",
                    a.number, a.enterprise.name
                ),
            ),
            AgreementEvent::Expired => (
                "agreement_ended",
                format!(
                    "代办协议 {}（{}）已到期，代办员不能再代为办理",
                    a.number, a.enterprise.name
                ),
            ),
            AgreementEvent::Revoked { .. } => (
                "agreement_ended",
                format!(
                    "代办协议 {}（{}）已终止，代办员不能再代为办理",
                    a.number, a.enterprise.name
                ),
            ),
            AgreementEvent::Renewed { .. } => continue,
        };
        let params = vec![
            ("number".to_owned(), a.number.clone()),
            ("title".to_owned(), a.enterprise.name.clone()),
            ("agent".to_owned(), a.agent_name.clone()),
            ("date".to_owned(), until.clone()),
            (
                "date_en".to_owned(),
                a.valid_until.format("%-d %B %Y").to_string(),
            ),
        ];
        let base = NotificationRow {
            kind: kind.to_owned(),
            text,
            created_at: now.as_millis(),
            params,
            ..Default::default()
        };
        out.push(NotificationRow {
            user_id: Some(a.agent_user),
            ..base.clone()
        });
        out.push(NotificationRow {
            holder: Some(a.enterprise.id.as_str().to_owned()),
            ..base.clone()
        });
        if !matches!(e.event, AgreementEvent::Signed { .. }) {
            out.push(NotificationRow {
                department: Some(a.department.to_string()),
                ..base
            });
        }
    }
    out
}

impl Aggregate for Agreement {
    type Entry = AgreementEntry;
    const KIND: AggregateKind = AggregateKind::Agreement;
    const COLUMNS: &'static [&'static str] = AGREEMENT_COLUMNS;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &AgreementEntry) {
        Agreement::apply(self, e);
    }
    fn number(&self) -> String {
        self.number.clone()
    }
    fn title(&self) -> String {
        format!("{} · {}", self.enterprise.name, self.agent_name)
    }
    fn visible_to(&self, actor: &Actor) -> bool {
        Agreement::visible_to(self, actor)
    }
    fn derive(&self, env: Env<'_>, _now: Timestamp) -> Derived {
        Derived {
            columns: vec![
                self.number.clone().into(),
                self.enterprise.id.as_str().into(),
                Value::Int(self.agent_user),
                self.department.as_str().into(),
                self.status.as_str().into(),
                self.valid_until.to_string().into(),
                Value::Int(self.signed_at.as_millis()),
            ],
            tasks: vec![],
            timers: timer_rows(self, env),
        }
    }
    fn notifications(&self, entries: &[AgreementEntry], now: Timestamp) -> Vec<NotificationRow> {
        notifications(self, entries, now)
    }
    fn side_rows(&self, _env: Env<'_>, _created: bool, _e: &[AgreementEntry], _s: i64) -> Vec<SideRows> {
        vec![]
    }
}

impl Journaled for AgreementEntry {
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

/// Whose agreements a list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgreementScope {
    Enterprise(String),
    Agent(i64),
    Department(String),
    All,
}

/// The agreements of a scope, in full, newest first.
pub fn list(conn: &mut dyn Conn, scope: &AgreementScope, limit: i64) -> Result<Vec<Agreement>, StoreError> {
    let (filter, mut params): (&str, Vec<Value>) = match scope {
        AgreementScope::Enterprise(k) => ("WHERE enterprise_key = $1", vec![k.clone().into()]),
        AgreementScope::Agent(u) => ("WHERE agent_user = $1", vec![Value::Int(*u)]),
        AgreementScope::Department(d) => ("WHERE department = $1", vec![d.clone().into()]),
        AgreementScope::All => ("", vec![]),
    };
    params.push(Value::Int(limit.clamp(1, 500)));
    let sql = format!(
        "SELECT state, version FROM agreements {filter} ORDER BY created_at DESC, id DESC LIMIT ${}",
        params.len()
    );
    conn.query(&sql, &params)?
        .iter()
        .map(|r| {
            let mut a: Agreement = serde_json::from_str(&r.text(0)?)?;
            a.version = r.int(1)? as u64;
            Ok(a)
        })
        .collect()
}

/// The mandates an agent holds on `today`: every agreement not older than a year past its end, with
/// whether it is in force (so a refusal can say "expired" rather than "none").
pub fn mandates(
    conn: &mut dyn Conn,
    agent_user: i64,
    today: chrono::NaiveDate,
) -> Result<Vec<Mandate>, StoreError> {
    Ok(list(conn, &AgreementScope::Agent(agent_user), 200)?
        .into_iter()
        .filter(|a| a.status != AgreementStatus::Revoked || a.valid_until >= today)
        .map(|a| a.mandate(today))
        .collect())
}

/// A step an agent took for an enterprise, as the enterprise reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStep {
    pub aggregate_id: i64,
    pub number: String,
    pub title: String,
    pub at: i64,
    pub agent: String,
    pub action: String,
    pub opinion: Option<String>,
    pub agreement: String,
}

/// Everything agents did on the enterprise's applications, newest first (the journal records each step
/// with the agreement it was taken under).
pub fn agent_steps(
    conn: &mut dyn Conn,
    enterprise_key: &str,
    limit: i64,
) -> Result<Vec<AgentStep>, StoreError> {
    let rows = conn.query(
        "SELECT j.aggregate_id, c.number, c.title, j.at, j.actor_name, j.action, j.opinion, j.data \
         FROM journal j JOIN cases c ON c.id = j.aggregate_id \
         WHERE c.applicant_key = $1 AND j.actor_role = 'agent' ORDER BY j.at DESC, j.seq DESC LIMIT $2",
        &[enterprise_key.into(), Value::Int(limit.clamp(1, 500))],
    )?;
    rows.iter()
        .map(|r| {
            let data: serde_json::Value = serde_json::from_str(&r.text(7)?).unwrap_or_default();
            Ok(AgentStep {
                aggregate_id: r.int(0)?,
                number: r.text(1)?,
                title: r.text(2)?,
                at: r.int(3)?,
                agent: r.text(4)?,
                action: r.text(5)?,
                opinion: r.opt_text(6)?,
                agreement: data["on_behalf_of"]["number"].as_str().unwrap_or("").to_owned(),
            })
        })
        .collect()
}
