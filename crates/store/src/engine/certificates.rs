//! Certificates on the engine: `issue_certificate` (identifier and serial from the shared sequences,
//! sealed with the issuing body's key, stored with its first entry in one commit) and
//! `run_certificate` (use, suspend, reinstate, revoke, and the expiry timer's command), each on the one
//! path of every aggregate.

use std::sync::Arc;

use chrono::NaiveDate;
use onego_calendar::Timestamp;
use onego_domain::certificate::model::holder_code_type;
use onego_domain::certificate::{Certificate, CertificateCommand, CertificateId, Content};
use onego_domain::messages::Msg;
use onego_domain::org::{Actor, Role};
use onego_domain::values::{ApplicantId, Code};

use super::{Engine, EngineError, Outcome};
use crate::aggregate::Stored;

/// What the public check of a certificate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The seal holds and was made with a key of the issuing department.
    Genuine,
    /// The content does not match its seal.
    Altered(Msg),
    /// The seal holds but was made with a key the issuing department never had.
    UnknownKey,
}

/// A certificate and the verdict on it.
#[derive(Debug, Clone)]
pub struct Verified {
    pub certificate: Certificate,
    pub verdict: Verdict,
}

/// What issuing a certificate needs besides the issuing body's key.
#[derive(Debug, Clone)]
pub struct Issue {
    /// 证照类型名称 and the 21-character 证照类型代码 (GB/T 36904).
    pub type_name: String,
    pub type_code: String,
    /// 证照编号 as printed; the identifier's serial when `None`.
    pub number: Option<String>,
    pub holder: ApplicantId,
    pub holder_name: String,
    /// The issuing department, its name and its code (统一社会信用代码 or region code).
    pub department: Code,
    pub issuer_name: String,
    pub issuer_code: String,
    pub valid_until: Option<NaiveDate>,
    pub related: Vec<String>,
    pub data: serde_json::Value,
    /// The case whose decision issues it.
    pub case_id: Option<i64>,
}

impl Engine {
    /// Issues a certificate sealed with the issuing department's current key (made on first use, kept
    /// encrypted under `master`). Only onego itself (on a decision) or the issuing department's approvers
    /// and supervisors issue.
    pub async fn issue_certificate(
        &self,
        actor: &Actor,
        issue: Issue,
        master: &crate::keys::MasterKey,
        now: Timestamp,
    ) -> Result<Outcome<Certificate>, EngineError> {
        let issuer = actor.role == Role::System
            || (matches!(actor.role, Role::Approver | Role::Supervisor)
                && actor.department.as_ref() == Some(&issue.department));
        if !issuer {
            return Err(EngineError::Denied(Msg::new(
                "certificate_issue_denied",
                "只有发证部门的审批人员或系统才能签发证照",
                "only the issuing department's approvers, or onego on a decision, issue certificates",
            )));
        }
        let (_, secret) = self
            .store
            .keys()
            .current(issue.department.as_str(), master, now.as_millis())
            .await?;
        let (id, serial) = self.next_ids_for("certificate", now).await?;
        // The serial: the date and the day's sequence (the region is the identifier's issuer part).
        let serial: String = serial.as_str().chars().skip(6).collect();
        let identifier = CertificateId::new(&issue.type_code, &issue.issuer_code, &serial, 1)
            .map_err(|e| EngineError::Invalid(e.msg()))?;
        let today = self.calendar().local_date(now);
        let content = Content {
            identifier: identifier.to_string(),
            type_name: issue.type_name,
            type_code: issue.type_code,
            number: issue.number.unwrap_or_else(|| serial.clone()),
            holder_name: issue.holder_name,
            holder_code: issue.holder.as_str().to_owned(),
            holder_code_type: holder_code_type(&issue.holder).to_owned(),
            issuer_name: issue.issuer_name,
            issuer_code: issue.issuer_code,
            issued_on: today,
            valid_from: today,
            valid_until: issue.valid_until,
            region: self.config.region.to_string(),
            related: issue.related,
            data: issue.data,
        };
        let (cert, entry) = Certificate::issue(
            id,
            content,
            issue.holder,
            issue.department,
            &secret,
            issue.case_id,
            now,
            actor,
        )
        .map_err(|e| EngineError::Configuration(e.to_string()))?;
        let entries = vec![entry];
        let stored = self.create(cert, &entries, now, None).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// Runs a command on a certificate the actor may see.
    pub async fn run_certificate(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &CertificateCommand,
        now: Timestamp,
    ) -> Result<Outcome<Certificate>, EngineError> {
        let today = self.calendar().local_date(now);
        let (stored, entries) = self
            .run::<Certificate>(id, now, None, |current| {
                if !current.visible_to(actor) && actor.role != Role::Clerk {
                    return Err(EngineError::NotFound(super::path::not_found_msg(
                        onego_domain::aggregate::AggregateKind::Certificate,
                        id,
                    )));
                }
                current.decide(actor, cmd, now, today).map_err(|e| {
                    use onego_domain::certificate::CertificateError as E;
                    match e {
                        E::NotYoursToUse | E::NotTheIssuer | E::SystemOnly => EngineError::Denied(e.msg()),
                        E::Reason => EngineError::Invalid(e.msg().at("reason")),
                        E::NotUsable(_) | E::WrongState(_) => EngineError::NotAllowedNow(e.msg()),
                    }
                })
            })
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// The public check of a certificate by its identifier (from its QR code): whether the identifier
    /// holds, whether onego issued it, whether its seal holds over its content and was made with a key
    /// of the issuing department. Anyone may ask; the caller shows the holder masked.
    pub async fn verify_certificate(&self, text: &str) -> Result<Verified, EngineError> {
        let id = CertificateId::parse(text).map_err(|e| EngineError::Invalid(e.msg()))?;
        let certificate = self
            .store
            .certificates()
            .by_identifier(&id.to_string())
            .await?
            .ok_or_else(|| {
                EngineError::NotFound(Msg::new(
                    "no_such_certificate_identifier",
                    "本平台没有签发过此标识的电子证照。请核对标识；证照由其他地区签发的，请向发证机关查询",
                    "no certificate with this identifier was issued here. Check the identifier; for one issued elsewhere, ask its issuing body",
                ))
            })?;
        let verdict = match certificate.seal_holds() {
            Err(e) => Verdict::Altered(e.msg()),
            Ok(()) => {
                let keys = self.store.keys().all(certificate.department.as_str()).await?;
                if keys.iter().any(|k| k.public_key == certificate.seal.public_key) {
                    Verdict::Genuine
                } else {
                    Verdict::UnknownKey
                }
            }
        };
        Ok(Verified { certificate, verdict })
    }

    /// The certificates `actor` holds (an applicant's own; nobody else holds any).
    pub async fn my_certificates(&self, actor: &Actor) -> Result<Vec<Certificate>, EngineError> {
        match (&actor.role, &actor.applicant) {
            (Role::Applicant, Some(holder)) => {
                Ok(self.store.certificates().of_holder(holder.as_str()).await?)
            }
            _ => Ok(vec![]),
        }
    }

    /// A certificate as `actor` may see it.
    pub async fn certificate(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Certificate>>, EngineError> {
        self.view::<Certificate>(actor, id).await
    }
}
