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
use crate::aggregate::{Stored, Write};
use onego_domain::certificate::model::CertificateEntry;

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
    fn master(&self) -> Result<&crate::keys::MasterKey, EngineError> {
        self.master.get().ok_or_else(|| {
            EngineError::Configuration(
                "no key secret was given, so no certificate can be sealed: start onego with --key-secret \
                 (or ONEGO_KEY_SECRET)"
                    .into(),
            )
        })
    }

    /// Issues a certificate sealed with the issuing department's current key (made on first use, kept
    /// encrypted under the key secret). Only onego itself (on a decision) or the issuing department's
    /// approvers and supervisors issue.
    pub async fn issue_certificate(
        &self,
        actor: &Actor,
        issue: Issue,
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
        let (cert, entries) = self.seal_new(actor, issue, now).await?;
        let stored = self.create(cert, &entries, now, None).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// A new certificate: identifier and serial from the shared sequences, sealed with the issuing
    /// department's current key. Not yet stored.
    pub(super) async fn seal_new(
        &self,
        actor: &Actor,
        issue: Issue,
        now: Timestamp,
    ) -> Result<(Certificate, Vec<CertificateEntry>), EngineError> {
        let master = self.master()?;
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
        let (mut cert, entry) = Certificate::issue(
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
        cert.version = 1;
        // What its holder is reminded of comes with its type (none for a type the catalog lacks).
        if let Some(t) = self.catalog().certificate_type(&cert.content.type_code) {
            cert.reminders = t.reminders();
        }
        Ok((cert, vec![entry]))
    }

    /// The write of a certificate a decision issues, committed with the decision.
    pub(super) async fn issue_write(&self, issue: Issue, now: Timestamp) -> Result<Write, EngineError> {
        let (cert, entries) = self.seal_new(&Actor::system(), issue, now).await?;
        Ok(self.build_write(None, &cert, &entries, now, None)?.0)
    }

    /// The write of a use of a certificate (用证), committed with the command that uses it: the
    /// certificate as committed now, its use decided by `actor` for `case_id`.
    pub(super) async fn use_write(
        &self,
        actor: &Actor,
        id: i64,
        reason: String,
        case_id: i64,
        now: Timestamp,
    ) -> Result<Write, EngineError> {
        let cmd = CertificateCommand::Use {
            reason,
            case_id: Some(case_id),
        };
        self.certificate_write(actor, id, &cmd, now)
            .await
            .map_err(|e| match e {
                EngineError::Invalid(m) | EngineError::NotAllowedNow(m) | EngineError::Denied(m) => {
                    EngineError::Invalid(m.at("materials"))
                }
                other => other,
            })
    }

    /// The write of a command on a certificate made with another command's commit (a use, the
    /// replacement of an old certificate by a renewal): the certificate as committed now.
    pub(super) async fn certificate_write(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &CertificateCommand,
        now: Timestamp,
    ) -> Result<Write, EngineError> {
        let stored = self.load_current::<Certificate>(id).await?;
        let today = self.calendar().local_date(now);
        let entries = stored
            .value
            .decide(actor, cmd, now, today)
            .map_err(|e| EngineError::NotAllowedNow(e.msg()))?;
        self.companion_write(&stored, &entries, now)
    }

    /// Whether the flow's item renews its certificate type (换证, 延续): its approval replaces the
    /// holder's certificates of that type still valid.
    pub(super) fn renews(&self, flow: &onego_domain::case::Flow) -> bool {
        use onego_domain::case::Registry;
        let catalog = self.catalog();
        catalog
            .item_version(&flow.item, flow.item_version)
            .and_then(|i| i.certificate_type.as_deref())
            .and_then(|t| catalog.certificate_type(t))
            .is_some_and(|t| t.renewal_item.as_deref() == Some(flow.item.as_str()))
    }

    /// The writes that revoke a holder's still-valid certificates of a type, replaced by a renewal;
    /// those in `skip` (used by the same command: one write per certificate in a commit) are left.
    pub(super) async fn superseded_writes(
        &self,
        issue: &Issue,
        replacement: &str,
        skip: &[i64],
        now: Timestamp,
    ) -> Result<Vec<Write>, EngineError> {
        let held = self.store.certificates().of_holder(issue.holder.as_str()).await?;
        let mut writes = Vec::new();
        for old in held.iter().filter(|c| {
            c.content.type_code == issue.type_code
                && c.status == onego_domain::certificate::CertificateStatus::Valid
                && !skip.contains(&c.id)
        }) {
            let cmd = CertificateCommand::Revoke {
                reason: format!("已换发新证（{replacement}），原证照注销"),
            };
            writes.push(
                self.certificate_write(&Actor::system(), old.id, &cmd, now)
                    .await?,
            );
        }
        Ok(writes)
    }

    /// What issuing the certificate of a decided flow needs, from the catalog: the item's certificate
    /// type, its issuing department, the holder (the applicant) and the business data from the form.
    /// `None` when the item issues no certificate.
    pub(super) fn issue_for_flow(
        &self,
        case: &onego_domain::case::Case,
        flow: &onego_domain::case::Flow,
        now: Timestamp,
    ) -> Option<Result<Issue, EngineError>> {
        use onego_domain::case::Registry;
        let catalog = self.catalog();
        let item = catalog.item_version(&flow.item, flow.item_version)?;
        let code = item.certificate_type.as_deref()?;
        Some((|| {
            let t = catalog.certificate_type(code).ok_or_else(|| {
                EngineError::Configuration(format!(
                    "item {} issues certificate type {code}, which is not in the catalog",
                    item.impl_code
                ))
            })?;
            if !t.holder.admits(&case.applicant.id) {
                return Err(EngineError::Invalid(holder_mismatch(t, &item.name)));
            }
            let data = t.data_from_form(&case.form).map_err(|label| {
                EngineError::Invalid(Msg::new(
                    "certificate_data_missing",
                    format!(
                        "无法签发{}：申请表缺少“{label}”。请先请申请人补正申请表，再作决定",
                        t.name
                    ),
                    format!(
                        "the {} cannot be issued: the form lacks “{label}”. Ask the applicant to complete the form first, then decide",
                        t.name
                    ),
                ))
            })?;
            let valid_until = t.validity_years.and_then(|y| {
                self.calendar()
                    .local_date(now)
                    .checked_add_months(chrono::Months::new(y.saturating_mul(12)))
            });
            let mut issue = self.issue_of_type(
                &t.code,
                case.applicant.id.clone(),
                &case.applicant.name,
                data,
                valid_until,
            )?;
            issue.case_id = Some(case.id);
            Ok(issue)
        })())
    }

    /// What issuing a certificate of a catalog type to `holder` needs: the type's name and code, its
    /// issuing department and the code that department's certificates carry.
    pub fn issue_of_type(
        &self,
        type_code: &str,
        holder: ApplicantId,
        holder_name: &str,
        data: serde_json::Value,
        valid_until: Option<NaiveDate>,
    ) -> Result<Issue, EngineError> {
        let catalog = self.catalog();
        let t = catalog.certificate_type(type_code).ok_or_else(|| {
            EngineError::Configuration(format!("certificate type {type_code} is not in the catalog"))
        })?;
        let (issuer_name, issuer_code) = self.issuer_of(&t.department);
        Ok(Issue {
            type_name: t.name.clone(),
            type_code: t.code.clone(),
            number: None,
            holder,
            holder_name: holder_name.to_owned(),
            department: t.department.clone(),
            issuer_name,
            issuer_code,
            valid_until,
            related: vec![],
            data,
            case_id: None,
        })
    }

    /// A department's name and the code its certificates carry as issuer: its 统一社会信用代码, or the
    /// region's code for a department without one.
    pub fn issuer_of(&self, department: &Code) -> (String, String) {
        let catalog = self.catalog();
        match catalog.department(department) {
            Some(d) => (
                d.name.clone(),
                d.uscc
                    .as_ref()
                    .map_or_else(|| self.config.region.to_string(), ToString::to_string),
            ),
            None => (department.to_string(), self.config.region.to_string()),
        }
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
        let verdict = self.verdict(&certificate).await?;
        Ok(Verified { certificate, verdict })
    }

    /// Whether a certificate's seal holds over its content and was made with a key of its issuing
    /// department: the one check of genuineness, for the public check and for every use of one.
    pub(super) async fn verdict(&self, certificate: &Certificate) -> Result<Verdict, EngineError> {
        Ok(match certificate.seal_holds() {
            Err(e) => Verdict::Altered(e.msg()),
            Ok(()) => {
                let keys = self.store.keys().all(certificate.department.as_str()).await?;
                if keys.iter().any(|k| k.public_key == certificate.seal.public_key) {
                    Verdict::Genuine
                } else {
                    Verdict::UnknownKey
                }
            }
        })
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

    /// The certificates a case's decision issued, those of them `actor` may see (the case itself must
    /// be one they may see).
    pub async fn certificates_of_case(
        &self,
        actor: &Actor,
        case_id: i64,
    ) -> Result<Vec<Certificate>, EngineError> {
        self.view::<onego_domain::case::Case>(actor, case_id).await?;
        let all = self
            .store
            .read(move |c| crate::certificate::of_case(c, case_id))
            .await?;
        Ok(all.into_iter().filter(|c| c.visible_to(actor)).collect())
    }

    /// A certificate as `actor` may see it.
    pub async fn certificate(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Certificate>>, EngineError> {
        self.view::<Certificate>(actor, id).await
    }
}

/// “居民身份证换领 is for natural persons”: an applicant of the wrong kind for the certificate the item issues.
pub(super) fn holder_mismatch(t: &onego_domain::certificate::CertificateType, item: &str) -> Msg {
    Msg::new(
        "certificate_holder_kind",
        format!(
            "“{item}”的结果{}只签发给{}，请由{}申请",
            t.name,
            onego_domain::labels::Label::zh(&t.holder),
            onego_domain::labels::Label::zh(&t.holder)
        ),
        format!(
            "“{item}” results in a {} issued only to {}; one of them must apply",
            t.name,
            onego_domain::labels::Label::en(&t.holder)
        ),
    )
}
