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
            if c.usable_on(today) && !out.iter().any(|o| o.content.type_code == c.content.type_code) {
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
            if self.verdict(c).await? != super::Verdict::Genuine {
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
            if !c.usable_on(today) {
                let (zh, en) = match c.status {
                    CertificateStatus::Revoked => ("已注销", "revoked"),
                    CertificateStatus::Suspended => ("已暂停使用", "suspended"),
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

/// A batch of a shared data set from another system.
#[derive(Debug, Clone)]
pub struct SharedImport {
    /// The data set's 证照类型代码.
    pub type_code: String,
    /// The system it comes from (recorded, and sealed, in every record as 数据来源).
    pub source: String,
    pub records: Vec<onego_domain::certificate::SharedRecord>,
}

impl Engine {
    /// Imports records of a shared data set: each sealed by the providing department as a certificate
    /// of the data set's type, its source recorded. Only that department's approvers and supervisors
    /// import. Every record is checked first, and all are committed together or none (a refusal names
    /// the record and its field).
    pub async fn import_shared_data(
        &self,
        actor: &Actor,
        import: SharedImport,
        now: onego_calendar::Timestamp,
    ) -> Result<Vec<Certificate>, EngineError> {
        use onego_domain::certificate::TypeKind;
        let catalog = self.catalog();
        let t = catalog
            .certificate_type(&import.type_code)
            .filter(|t| t.kind == TypeKind::DataSet)
            .ok_or_else(|| {
                EngineError::Invalid(
                    Msg::new(
                        "no_such_data_set",
                        format!("证照目录中没有代码为 {} 的共享数据集", import.type_code),
                        format!("the catalog has no shared data set {}", import.type_code),
                    )
                    .at("type_code"),
                )
            })?
            .clone();
        let provider = matches!(
            actor.role,
            onego_domain::org::Role::Approver | onego_domain::org::Role::Supervisor
        ) && actor.department.as_ref() == Some(&t.department);
        if !provider {
            return Err(EngineError::Denied(Msg::new(
                "import_denied",
                format!("只有提供{}的部门的审批人员才能导入该数据", t.name),
                format!(
                    "only staff of the department that provides the {} import it",
                    t.name
                ),
            )));
        }
        let source = import.source.trim().to_owned();
        if source.is_empty() || source.chars().count() > 100 {
            return Err(EngineError::Invalid(
                Msg::new(
                    "import_source",
                    "请写明数据来源系统（不超过100字）",
                    "name the system the data comes from (at most 100 characters)",
                )
                .at("source"),
            ));
        }
        if import.records.is_empty() || import.records.len() > onego_domain::certificate::types::MAX_IMPORT {
            return Err(EngineError::Invalid(
                Msg::new(
                    "import_size",
                    "每次导入 1 至 1000 条记录",
                    "send between 1 and 1000 records at a time",
                )
                .at("records"),
            ));
        }
        let today = self.calendar().local_date(now);
        for (n, r) in import.records.iter().enumerate() {
            t.check_record(r, today).map_err(|m| {
                let field = format!("records[{n}].{}", m.field.clone().unwrap_or_default());
                EngineError::Invalid(
                    m.prefixed(&format!("第 {} 条记录：", n + 1), &format!("record {}: ", n + 1))
                        .at(field),
                )
            })?;
        }
        let (issuer_name, issuer_code) = self.issuer_of(&t.department);
        let mut writes = Vec::with_capacity(import.records.len());
        let mut sealed = Vec::with_capacity(import.records.len());
        for r in import.records {
            let mut data = r.data;
            if let Some(o) = data.as_object_mut() {
                o.insert("数据来源".into(), source.clone().into());
            }
            let issue = super::Issue {
                type_name: t.name.clone(),
                type_code: t.code.clone(),
                number: None,
                holder: r.holder,
                holder_name: r.holder_name.trim().to_owned(),
                department: t.department.clone(),
                issuer_name: issuer_name.clone(),
                issuer_code: issuer_code.clone(),
                valid_until: r.valid_until,
                related: vec![],
                data,
                case_id: None,
            };
            let (cert, entries) = self.seal_new(actor, issue, now).await?;
            writes.push(self.build_write(None, &cert, &entries, now, None)?.0);
            sealed.push(cert);
        }
        self.store.commit_all(writes).await?;
        Ok(sealed)
    }
}
