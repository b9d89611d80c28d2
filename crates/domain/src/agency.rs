//! 帮办代办: a signed agency agreement (代办协议) between an enterprise and an agent (代办员), kept as an
//! aggregate like every other kind of work (journal, timer, outbox), and the mandate it gives: within its
//! scope (named projects or items) and validity the agent prepares and submits applications and answers
//! 补正 for the enterprise. Every step an agent takes is journalled "by agent X for enterprise Y" (the
//! [`Mandate`] it used travels with the actor); outside the scope, after expiry or revocation, the agent
//! is refused with a message that says which.

use chrono::NaiveDate;
use onego_calendar::{Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};

use crate::messages::Msg;
use crate::org::{Actor, Role};
use crate::project::Investor;
use crate::timer::Alarm;
use crate::values::{ApplicantId, Code, FileRef};

/// Longest reason for revoking or renewing, in characters.
pub const MAX_REASON: usize = 200;
/// Longest validity of one agreement: three years, renewed after.
pub const MAX_VALID_DAYS: i64 = 3 * 366;
/// Days before expiry the agent, the enterprise and the stewards are reminded.
pub const REMIND_DAYS: i64 = 30;

/// What an agreement lets the agent do, as the actor carries it: loaded for an agent when they log in
/// or call, with whether it is in force that day; narrowed to the one used when they act, so the
/// journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub agreement: i64,
    pub number: String,
    pub enterprise: ApplicantId,
    pub enterprise_name: String,
    #[serde(default)]
    pub projects: Vec<i64>,
    #[serde(default)]
    pub items: Vec<Code>,
    pub valid_until: NaiveDate,
    /// Signed, not revoked, and within its validity on the day it was loaded.
    pub in_force: bool,
    #[serde(default)]
    pub revoked: bool,
}

impl Mandate {
    /// Whether the scope names this item or this project.
    pub fn covers(&self, item: &Code, project: Option<i64>) -> bool {
        self.items.contains(item) || project.is_some_and(|p| self.projects.contains(&p))
    }
}

/// The mandate under which `actor` (an agent) may act for `enterprise` on `item` (of `project`), or why
/// not: no agreement with that enterprise, the item outside every agreement's scope, or the agreement
/// expired or revoked.
pub fn mandate_for<'a>(
    actor: &'a Actor,
    enterprise: &ApplicantId,
    item: &Code,
    project: Option<i64>,
) -> Result<&'a Mandate, Msg> {
    if actor.role != Role::Agent {
        return Err(Msg::new(
            "not_an_agent",
            "只有代办员可以代企业办理",
            "only agents act on an enterprise's behalf",
        ));
    }
    let mine: Vec<&Mandate> = actor
        .mandates
        .iter()
        .filter(|m| &m.enterprise == enterprise)
        .collect();
    if mine.is_empty() {
        return Err(Msg::new(
            "agent_no_agreement",
            "您与该企业没有签订代办协议，不能代其办理；请先由企业与代办中心签订协议",
            "you have no agency agreement with this enterprise; it must sign one with the agency centre first",
        ));
    }
    let covering: Vec<&Mandate> = mine.iter().copied().filter(|m| m.covers(item, project)).collect();
    if let Some(m) = covering.iter().find(|m| m.in_force) {
        return Ok(m);
    }
    if let Some(m) = covering.first() {
        let (zh, en) = if m.revoked {
            (
                format!(
                    "您与{}的代办协议（{}）已终止，不能再代其办理",
                    m.enterprise_name, m.number
                ),
                format!(
                    "your agreement {} with {} was revoked; you can no longer act for it",
                    m.number, m.enterprise_name
                ),
            )
        } else {
            (
                format!(
                    "您与{}的代办协议（{}）有效期至 {}，已不在有效期内；续签后才能继续代办",
                    m.enterprise_name,
                    m.number,
                    m.valid_until.format("%Y年%m月%d日")
                ),
                format!(
                    "your agreement {} with {} is not in force (valid until {}); it must be renewed first",
                    m.number,
                    m.enterprise_name,
                    m.valid_until.format("%-d %B %Y")
                ),
            )
        };
        return Err(Msg::new("agent_agreement_not_in_force", zh, en));
    }
    let name = &mine[0].enterprise_name;
    Err(Msg::new(
        "agent_outside_scope",
        format!("事项 {item} 不在您与{name}的代办协议范围内；请企业自行办理，或先补签协议"),
        format!(
            "item {item} is outside your agreement with {name}; the enterprise applies itself, or extends the agreement first"
        ),
    ))
}

/// The actor as the journal should record them for this step: an agent narrowed to the one mandate
/// used (so the entry says for whom and under which agreement); anyone else unchanged.
pub fn acting(actor: &Actor, enterprise: &ApplicantId, item: &Code, project: Option<i64>) -> Actor {
    let mut a = actor.clone();
    if actor.role == Role::Agent {
        a.mandates = mandate_for(actor, enterprise, item, project)
            .map(|m| vec![m.clone()])
            .unwrap_or_default();
    }
    a
}

/// What signing an agreement needs, checked by [`Agreement::sign`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgreement {
    pub enterprise: Investor,
    pub projects: Vec<i64>,
    pub items: Vec<Code>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// The signed agreement, scanned (an upload of the one who records it).
    pub file: Option<FileRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Signed; in force within its dates.
    Signed,
    /// Ended early by the enterprise or the agency centre.
    Revoked,
    /// Past its last day.
    Expired,
}

impl AgreementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementStatus::Signed => "signed",
            AgreementStatus::Revoked => "revoked",
            AgreementStatus::Expired => "expired",
        }
    }
}

/// A signed agency agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub id: i64,
    #[serde(default)]
    pub version: u64,
    /// 协议编号, e.g. DB-2026-000123.
    pub number: String,
    pub enterprise: Investor,
    pub agent_user: i64,
    pub agent_name: String,
    #[serde(default)]
    pub projects: Vec<i64>,
    #[serde(default)]
    pub items: Vec<Code>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    #[serde(default)]
    pub file: Option<FileRef>,
    /// The agency centre (the stewards' department) that recorded it.
    pub department: Code,
    pub signed_at: Timestamp,
    pub status: AgreementStatus,
    #[serde(default)]
    pub ended_reason: Option<String>,
    /// The expiry reminder went out (once).
    #[serde(default)]
    pub reminded: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AgreementEvent {
    Signed { agreement: Box<Agreement> },
    Revoked { reason: String },
    Renewed { valid_until: NaiveDate, reason: String },
    ExpiryReminded,
    Expired,
}

impl AgreementEvent {
    pub fn action(&self) -> &'static str {
        match self {
            AgreementEvent::Signed { .. } => "agreement_signed",
            AgreementEvent::Revoked { .. } => "agreement_revoked",
            AgreementEvent::Renewed { .. } => "agreement_renewed",
            AgreementEvent::ExpiryReminded => "agreement_expiry_reminded",
            AgreementEvent::Expired => "agreement_expired",
        }
    }

    pub fn opinion(&self) -> Option<&str> {
        match self {
            AgreementEvent::Revoked { reason } | AgreementEvent::Renewed { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub event: AgreementEvent,
}

/// What is asked of an agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AgreementCommand {
    /// The enterprise or the agency centre ends it early, saying why.
    Revoke { reason: String },
    /// The agency centre extends it to a new last day (the enterprise signed again).
    Renew { valid_until: NaiveDate, reason: String },
    /// onego's timer: remind before the last day, mark it expired after (never a person).
    CheckExpiry { alarm: Alarm },
}

/// Why an agreement command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("{0}")]
    Denied(Msg),
    #[error("{0}")]
    Invalid(Msg),
    #[error("{0}")]
    NotAllowedNow(Msg),
}

fn reason(text: &str) -> Result<String, AgreementError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_REASON || crate::values::forbidden_char(t).is_some() {
        return Err(AgreementError::Invalid(
            Msg::new(
                "agreement_reason",
                "请写明理由（不超过200字）",
                "give the reason (at most 200 characters)",
            )
            .at("reason"),
        ));
    }
    Ok(t.to_owned())
}

fn check_dates(from: NaiveDate, until: NaiveDate, today: NaiveDate) -> Result<(), AgreementError> {
    if until < from || until < today {
        return Err(AgreementError::Invalid(
            Msg::new(
                "agreement_dates",
                "协议的截止日期须不早于起始日期和今天",
                "the agreement's last day must not be before its first day or today",
            )
            .at("valid_until"),
        ));
    }
    if (until - from).num_days() > MAX_VALID_DAYS {
        return Err(AgreementError::Invalid(
            Msg::new(
                "agreement_too_long",
                "一份代办协议的有效期最长三年，期满后续签",
                "an agreement is valid for at most three years; renew it after",
            )
            .at("valid_until"),
        ));
    }
    Ok(())
}

impl Agreement {
    /// Records a signed agreement. `by` is the agency centre's staff (checked by the caller against the
    /// catalog's steering departments); the scope must name a project or an item.
    /// `agent`: the agent's account (role 代办员) and name.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        id: i64,
        number: String,
        input: NewAgreement,
        agent: (i64, String),
        department: Code,
        today: NaiveDate,
        at: Timestamp,
        by: &Actor,
    ) -> Result<(Agreement, AgreementEntry), AgreementError> {
        if input.projects.is_empty() && input.items.is_empty() {
            return Err(AgreementError::Invalid(
                Msg::new(
                    "agreement_scope_empty",
                    "请写明代办范围：代办的项目或事项，至少一项",
                    "name the scope: at least one project or item the agent acts on",
                )
                .at("items"),
            ));
        }
        check_dates(input.valid_from, input.valid_until, today)?;
        let agreement = Agreement {
            id,
            version: 0,
            number,
            enterprise: input.enterprise,
            agent_user: agent.0,
            agent_name: agent.1,
            projects: input.projects,
            items: input.items,
            valid_from: input.valid_from,
            valid_until: input.valid_until,
            file: input.file,
            department,
            signed_at: at,
            status: AgreementStatus::Signed,
            ended_reason: None,
            reminded: false,
        };
        let entry = AgreementEntry {
            at,
            actor: by.clone(),
            event: AgreementEvent::Signed {
                agreement: Box::new(agreement.clone()),
            },
        };
        Ok((agreement, entry))
    }

    pub fn from_signed(entry: &AgreementEntry) -> Option<Agreement> {
        match &entry.event {
            AgreementEvent::Signed { agreement } => Some((**agreement).clone()),
            _ => None,
        }
    }

    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.status == AgreementStatus::Signed && self.valid_from <= today && today <= self.valid_until
    }

    /// The mandate it gives its agent, as of `today`.
    pub fn mandate(&self, today: NaiveDate) -> Mandate {
        Mandate {
            agreement: self.id,
            number: self.number.clone(),
            enterprise: self.enterprise.id.clone(),
            enterprise_name: self.enterprise.name.clone(),
            projects: self.projects.clone(),
            items: self.items.clone(),
            valid_until: self.valid_until,
            in_force: self.in_force(today),
            revoked: self.status == AgreementStatus::Revoked,
        }
    }

    pub fn is_enterprise(&self, actor: &Actor) -> bool {
        actor.role == Role::Applicant && actor.applicant.as_ref() == Some(&self.enterprise.id)
    }

    pub fn is_centre(&self, actor: &Actor) -> bool {
        matches!(actor.role, Role::Approver | Role::Supervisor)
            && actor.department.as_ref() == Some(&self.department)
    }

    /// The enterprise, its agent, the agency centre, leaders and onego.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        self.is_enterprise(actor)
            || self.is_centre(actor)
            || (actor.role == Role::Agent && actor.user_id == self.agent_user)
            || matches!(actor.role, Role::Leader | Role::System)
    }

    /// When onego should next look at it: the reminder day, then the day after the last.
    pub fn next_check(&self, calendar: &WorkingCalendar) -> Option<(Alarm, Timestamp)> {
        if self.status != AgreementStatus::Signed {
            return None;
        }
        let (alarm, day) = if self.reminded {
            (Alarm::Overdue, self.valid_until.succ_opt()?)
        } else {
            (
                Alarm::Warning,
                self.valid_until - chrono::Duration::days(REMIND_DAYS),
            )
        };
        Some((alarm, calendar.start_of_day(day)))
    }

    pub fn decide(
        &self,
        actor: &Actor,
        cmd: &AgreementCommand,
        today: NaiveDate,
        at: Timestamp,
    ) -> Result<Vec<AgreementEntry>, AgreementError> {
        let entry = |event| AgreementEntry {
            at,
            actor: actor.clone(),
            event,
        };
        let open = self.status == AgreementStatus::Signed;
        match cmd {
            AgreementCommand::Revoke { reason: r } => {
                if !(self.is_enterprise(actor) || self.is_centre(actor)) {
                    return Err(AgreementError::Denied(Msg::new(
                        "agreement_revoke_denied",
                        "代办协议由签约企业或代办中心终止",
                        "an agreement is revoked by its enterprise or the agency centre",
                    )));
                }
                if !open {
                    return Err(AgreementError::NotAllowedNow(Msg::new(
                        "agreement_ended",
                        "该协议已终止或到期，无需再操作",
                        "this agreement has already ended",
                    )));
                }
                Ok(vec![entry(AgreementEvent::Revoked { reason: reason(r)? })])
            }
            AgreementCommand::Renew {
                valid_until,
                reason: r,
            } => {
                if !self.is_centre(actor) {
                    return Err(AgreementError::Denied(Msg::new(
                        "agreement_renew_denied",
                        "续签由代办中心（项目管家所在部门）登记",
                        "a renewal is recorded by the agency centre",
                    )));
                }
                if self.status == AgreementStatus::Revoked {
                    return Err(AgreementError::NotAllowedNow(Msg::new(
                        "agreement_revoked",
                        "已终止的协议不能续签，请重新签订一份",
                        "a revoked agreement cannot be renewed; sign a new one",
                    )));
                }
                if *valid_until <= self.valid_until {
                    return Err(AgreementError::Invalid(
                        Msg::new(
                            "agreement_renew_earlier",
                            "续签后的截止日期须晚于原截止日期",
                            "the new last day must be later than the current one",
                        )
                        .at("valid_until"),
                    ));
                }
                check_dates(self.valid_from.max(today), *valid_until, today)?;
                Ok(vec![entry(AgreementEvent::Renewed {
                    valid_until: *valid_until,
                    reason: reason(r)?,
                })])
            }
            AgreementCommand::CheckExpiry { alarm } => {
                if actor.role != Role::System {
                    return Err(AgreementError::Denied(Msg::new(
                        "agreement_check_by_system",
                        "协议到期由系统自动检查",
                        "expiry is checked by onego itself",
                    )));
                }
                if !open {
                    return Ok(vec![]);
                }
                Ok(match alarm {
                    Alarm::Warning
                        if !self.reminded
                            && today + chrono::Duration::days(REMIND_DAYS) >= self.valid_until =>
                    {
                        vec![entry(AgreementEvent::ExpiryReminded)]
                    }
                    Alarm::Overdue if today > self.valid_until => vec![entry(AgreementEvent::Expired)],
                    _ => vec![],
                })
            }
        }
    }

    pub fn apply(&mut self, e: &AgreementEntry) {
        match &e.event {
            AgreementEvent::Signed { agreement } => *self = (**agreement).clone(),
            AgreementEvent::Revoked { reason } => {
                self.status = AgreementStatus::Revoked;
                self.ended_reason = Some(reason.clone());
            }
            AgreementEvent::Renewed { valid_until, .. } => {
                self.valid_until = *valid_until;
                self.status = AgreementStatus::Signed;
                self.reminded = false;
            }
            AgreementEvent::ExpiryReminded => self.reminded = true,
            AgreementEvent::Expired => self.status = AgreementStatus::Expired,
        }
    }
}
