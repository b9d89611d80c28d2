//! Shared data as materials: an application attaches the applicant's valid certificates (or shared
//! data records) in place of files (免提交). Each is checked here before anything is stored — it
//! exists, belongs to the applicant, is of the type the material names, its seal holds under a key of
//! its issuing department, it is valid today — and the holder's consent is required when someone else
//! attaches it. Its use is then logged on the certificate in the same commit as the case.

use chrono::NaiveDate;
use onego_domain::case::{Submission, UsedCertificate};
use onego_domain::catalog::{Catalog, ServiceItem};
use onego_domain::certificate::{Certificate, CertificateStatus};
use onego_domain::messages::Msg;
use onego_domain::org::Actor;

use super::{Engine, EngineError};

impl Engine {
    /// A holder's certificates usable as materials today (valid and in force), the newest of each
    /// type first. The holder asks for their own; a window clerk asks for the applicant before them,
    /// whose consent the clerk confirms when attaching any.
    pub async fn usable_certificates(
        &self,
        actor: &Actor,
        holder: &onego_domain::values::ApplicantId,
    ) -> Result<Vec<Certificate>, EngineError> {
        let may = match actor.role {
            onego_domain::org::Role::Applicant => actor.applicant.as_ref() == Some(holder),
            onego_domain::org::Role::Clerk => true,
            _ => false,
        };
        if !may {
            return Ok(vec![]);
        }
        let today = self
            .calendar()
            .local_date(onego_calendar::Timestamp::from_millis(crate::now_millis()));
        let mut out: Vec<Certificate> = Vec::new();
        for c in self.store.certificates().of_holder(holder.as_str()).await? {
            let usable =
                c.status == CertificateStatus::Valid && c.content.valid_until.is_none_or(|d| d >= today);
            if usable && !out.iter().any(|o| o.content.type_code == c.content.type_code) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Checks and completes the certificates a submission attaches (identifier and type filled in),
    /// fills the form from their data, and returns (certificate, material name) for each use to log.
    pub(super) async fn attach_certificates(
        &self,
        actor: &Actor,
        submission: &mut Submission,
        items: &[&ServiceItem],
        catalog: &Catalog,
        today: NaiveDate,
    ) -> Result<Vec<(i64, String)>, EngineError> {
        let mut used = Vec::new();
        let mut data = Vec::new();
        let holder = submission.applicant.id.clone();
        let by_holder = actor.applicant.as_ref() == Some(&holder);
        for m in submission.materials.iter_mut() {
            let Some(wanted) = &m.certificate else {
                continue;
            };
            // A material the application does not ask for is refused when the case opens.
            let Some(spec) = items.iter().flat_map(|i| &i.materials).find(|s| s.code == m.code) else {
                continue;
            };
            let refuse = |zh: String, en: String| {
                EngineError::Invalid(Msg::new("certificate_material_refused", zh, en).at("materials"))
            };
            if m.file.is_some() {
                return Err(refuse(
                    format!("材料“{}”既上传了文件又选用了电子证照，请只选其一", spec.name),
                    format!(
                        "“{}” came both as a file and as a certificate; choose one",
                        spec.name
                    ),
                ));
            }
            let Some(type_code) = &spec.certificate else {
                return Err(refuse(
                    format!("材料“{}”不能用电子证照代替，请上传文件", spec.name),
                    format!("“{}” cannot be replaced by a certificate; upload it", spec.name),
                ));
            };
            if !by_holder && !submission.holder_consent {
                return Err(refuse(
                    "调用申请人的电子证照须经其本人同意：请向申请人说明并确认其同意后再提交".into(),
                    "using the applicant's certificates needs their consent: ask them, and confirm their consent when submitting".into(),
                ));
            }
            let not_theirs = || {
                refuse(
                    format!(
                        "没有找到申请人的第 {} 号电子证照，请重新选择或上传文件",
                        wanted.id
                    ),
                    format!(
                        "the applicant holds no certificate {}; choose again or upload the material",
                        wanted.id
                    ),
                )
            };
            let stored = match self.load_current::<Certificate>(wanted.id).await {
                Ok(s) => s,
                Err(EngineError::NotFound(_)) => return Err(not_theirs()),
                Err(e) => return Err(e),
            };
            let c = &stored.value;
            if c.holder != holder {
                return Err(not_theirs());
            }
            if &c.content.type_code != type_code {
                let wanted_name = catalog
                    .certificate_type(type_code)
                    .map_or(type_code.as_str(), |t| t.name.as_str());
                return Err(refuse(
                    format!(
                        "材料“{}”须由{}提供，所选的是{}",
                        spec.name, wanted_name, c.content.type_name
                    ),
                    format!(
                        "“{}” must come from a {}; the one chosen is a {}",
                        spec.name, wanted_name, c.content.type_name
                    ),
                ));
            }
            let keys = self.store.keys().all(c.department.as_str()).await?;
            let genuine = c.seal_holds().is_ok() && keys.iter().any(|k| k.public_key == c.seal.public_key);
            if !genuine {
                return Err(refuse(
                    format!(
                        "电子证照 {} 的签章校验不通过，内容可能被篡改，不能作为材料。请联系发证机关核实",
                        c.content.identifier
                    ),
                    format!(
                        "the seal of certificate {} does not hold (its content may have been altered), so it cannot serve as a material; ask its issuing body",
                        c.content.identifier
                    ),
                ));
            }
            let lapsed = c.content.valid_until.is_some_and(|d| d < today);
            if c.status != CertificateStatus::Valid || lapsed {
                let (zh, en) = match (c.status, lapsed) {
                    (CertificateStatus::Revoked, _) => ("已注销", "revoked"),
                    (CertificateStatus::Suspended, _) => ("已暂停使用", "suspended"),
                    _ => ("已过有效期", "expired"),
                };
                return Err(refuse(
                    format!(
                        "电子证照 {}（{}）{zh}，不能作为材料。请先办理延续或换证，或上传其他有效证明",
                        c.content.type_name, c.content.identifier
                    ),
                    format!(
                        "certificate {} ({}) is {en} and cannot serve as a material; renew it first, or upload other valid proof",
                        c.content.type_name, c.content.identifier
                    ),
                ));
            }
            m.certificate = Some(UsedCertificate {
                id: c.id,
                identifier: c.content.identifier.clone(),
                type_name: c.content.type_name.clone(),
            });
            if !used.iter().any(|(id, _)| *id == c.id) {
                used.push((c.id, spec.name.clone()));
            }
            data.push((type_code.clone(), c.content.data.clone()));
        }
        for (code, values) in data {
            if let Some(t) = catalog.certificate_type(&code) {
                t.fill_form(&values, &mut submission.form);
            }
        }
        Ok(used)
    }
}
