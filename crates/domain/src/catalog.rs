//! The service catalog: items (政务服务事项), their materials, and bundles (一件事).

use chrono::NaiveDate;
use onego_calendar::Limit;
use serde::{Deserialize, Serialize};

use crate::values::Code;

/// 事项类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 行政许可
    Licensing,
    /// 行政确认
    Confirmation,
    /// 行政给付
    Benefit,
    /// 行政裁决
    Adjudication,
    /// 行政奖励
    Award,
    /// 行政备案
    Filing,
    /// 其他行政权力
    OtherPower,
    /// 公共服务
    PublicService,
}

impl ItemKind {
    /// How long a decided case of this kind is kept in the archive, in years: licences and
    /// adjudications 30 (长期), everything else 10 (短期 is longer than any appeal or review period).
    pub fn retention_years(self) -> u32 {
        match self {
            ItemKind::Licensing | ItemKind::Adjudication => 30,
            _ => 10,
        }
    }
}

/// 即办件 (done on the spot) or 承诺件 (done within the promised limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    Instant,
    Promised,
}

/// How far an item can be done online (网上办理深度), levels one to four of the national standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlineDepth {
    /// 一级: information online only.
    Information,
    /// 二级: forms downloadable, appointment online.
    Download,
    /// 三级: applied and reviewed online, result fetched once.
    Online,
    /// 四级: fully online, result delivered (全程网办).
    FullyOnline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    /// 证件证照
    Licence,
    /// 申请表格
    Form,
    /// 证明文件
    Proof,
    /// 其他
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialForm {
    Paper,
    Electronic,
    /// Either, as the applicant prefers.
    Either,
}

/// 必要 / 非必要 / 容缺后补.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Necessity {
    Required,
    Optional,
    /// May be supplied after acceptance (容缺后补).
    Deferrable,
}

/// 申请人自备 / 政府部门核发 (the latter can come from shared data instead of the applicant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialSource {
    Applicant,
    Government,
}

/// 申请材料: a document an item requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialSpec {
    /// Stable within the catalog, so a bundle can merge the same material of several items.
    pub code: Code,
    pub name: String,
    pub kind: MaterialKind,
    pub form: MaterialForm,
    pub necessity: Necessity,
    pub source: MaterialSource,
    pub copies: u32,
    /// Path or URL of a blank form, when there is one.
    #[serde(default)]
    pub blank_form: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The certificate type (or shared data set) whose valid certificate satisfies this material, so
    /// the applicant need not hand it in (免提交); its 证照类型代码.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// The required materials (必要材料) among `specs` that `provided` does not include, each once (a
/// bundle lists a shared material under several items). Online submission refuses while any is
/// missing; the application form uses the same rule to mark each missing upload at once.
pub fn missing_required<'a>(
    specs: impl IntoIterator<Item = &'a MaterialSpec>,
    provided: &[&Code],
) -> Vec<&'a MaterialSpec> {
    let mut missing: Vec<&MaterialSpec> = Vec::new();
    for m in specs {
        if m.necessity == Necessity::Required
            && !provided.contains(&&m.code)
            && !missing.iter().any(|x| x.code == m.code || x.name == m.name)
        {
            missing.push(m);
        }
    }
    missing
}

/// 政务服务事项, one version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceItem {
    /// 基本编码 (national).
    pub base_code: Code,
    /// 实施编码 (this body's implementation); the item's identity in onego.
    pub impl_code: Code,
    pub version: u32,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_until: Option<NaiveDate>,
    pub name: String,
    pub kind: ItemKind,
    /// Implementing department's code.
    pub department: Code,
    pub legal_limit: Limit,
    pub promised_limit: Limit,
    pub handling: Handling,
    /// 0 = 一次不跑, 1 = 最多跑一次.
    pub visits_required: u8,
    pub online_depth: OnlineDepth,
    pub conditions: Vec<String>,
    pub materials: Vec<MaterialSpec>,
    /// Fees, or empty when free (不收费).
    #[serde(default)]
    pub fees: Vec<String>,
    pub result_name: String,
    /// 证照 / 批文 / 其他.
    pub result_type: String,
    pub place: String,
    pub hours: String,
    pub consult_phone: String,
    pub complaint_phone: String,
    /// The process definition the item's cases run.
    pub process: Code,
    /// The certificate type an approval issues (result type 证照), by its 证照类型代码.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_type: Option<String>,
    /// 秒批: an online application whose required materials all come from certificates or shared
    /// data is accepted by onego at once, so the process's rule decides it at submission.
    #[serde(default)]
    pub auto_approval: bool,
}

/// 一件事: several items of several departments as one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub code: Code,
    pub version: u32,
    pub effective_from: NaiveDate,
    pub name: String,
    pub description: String,
    pub members: Vec<Code>,
    pub lead_department: Code,
    pub promised_limit: Limit,
    /// The one combined result (e.g. 企业开办 hands out licence, seal and invoices together).
    pub result_name: String,
    /// Fields of the merged form (一表申请): each asked once even if several items need it.
    pub form_fields: Vec<FormField>,
}

/// One field of an application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
    /// `text`, `number`, `date`, `choice`.
    #[serde(default = "default_field_type")]
    pub field_type: String,
    #[serde(default)]
    pub choices: Vec<String>,
}

fn default_field_type() -> String {
    "text".to_owned()
}

/// A material of a bundle's merged list, with the members that need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedMaterial {
    pub spec: MaterialSpec,
    pub needed_by: Vec<Code>,
}

impl Bundle {
    /// 一套材料: the members' materials with duplicates (same material code) merged. The strictest
    /// necessity wins, and the most copies.
    pub fn merged_materials(&self, items: &[ServiceItem]) -> Vec<MergedMaterial> {
        let mut merged: Vec<MergedMaterial> = Vec::new();
        for member in &self.members {
            let Some(item) = items.iter().find(|i| &i.impl_code == member) else {
                continue;
            };
            for m in &item.materials {
                if let Some(existing) = merged.iter_mut().find(|x| x.spec.code == m.code) {
                    existing.needed_by.push(member.clone());
                    existing.spec.copies = existing.spec.copies.max(m.copies);
                    existing.spec.necessity = strictest(existing.spec.necessity, m.necessity);
                } else {
                    merged.push(MergedMaterial {
                        spec: m.clone(),
                        needed_by: vec![member.clone()],
                    });
                }
            }
        }
        merged
    }
}

fn strictest(a: Necessity, b: Necessity) -> Necessity {
    use Necessity::*;
    match (a, b) {
        (Required, _) | (_, Required) => Required,
        (Deferrable, _) | (_, Deferrable) => Deferrable,
        _ => Optional,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("item {code}: {message}")]
    Item {
        code: String,
        message: crate::messages::Msg,
    },
    #[error("bundle {code}: {message}")]
    Bundle {
        code: String,
        message: crate::messages::Msg,
    },
}

impl CatalogError {
    /// The message for the administrator, naming the item or bundle.
    pub fn msg(&self) -> crate::messages::Msg {
        match self {
            CatalogError::Item { code, message } => message
                .clone()
                .prefixed(&format!("事项 {code}："), &format!("item {code}: ")),
            CatalogError::Bundle { code, message } => message
                .clone()
                .prefixed(&format!("一件事 {code}："), &format!("bundle {code}: ")),
        }
    }
}

impl ServiceItem {
    /// Checks the rules a catalog entry must keep.
    pub fn validate(&self) -> Result<(), CatalogError> {
        let err = |zh: &str, en: &str, field: &'static str| {
            Err(CatalogError::Item {
                code: self.impl_code.to_string(),
                message: crate::messages::Msg::new("item_invalid", zh, en).at(field),
            })
        };
        if self.name.trim().is_empty() {
            return err("请填写事项名称", "give the item a name", "name");
        }
        if self.visits_required > 1 {
            return err(
                "到现场次数只能是0（一次不跑）或1（最多跑一次）",
                "visits required must be 0 (一次不跑) or 1 (最多跑一次)",
                "visits",
            );
        }
        if self.promised_limit.rough_natural_days() > self.legal_limit.rough_natural_days() {
            return err(
                "承诺时限不能长于法定时限",
                "the promised limit must not exceed the legal limit",
                "promised",
            );
        }
        if self.effective_until.is_some_and(|u| u < self.effective_from) {
            return err(
                "失效日期早于生效日期",
                "the item stops being effective before it starts",
                "effective_until",
            );
        }
        let mut codes: Vec<&Code> = self.materials.iter().map(|m| &m.code).collect();
        codes.sort();
        if codes.windows(2).any(|w| w[0] == w[1]) {
            return err(
                "有两份材料编码相同，请为每份材料设置不同的编码",
                "two materials share a code; give each material its own code",
                "materials",
            );
        }
        Ok(())
    }

    /// Checks that the certificate types the item names exist: the one its approval issues, and those
    /// that satisfy its materials.
    pub fn validate_certificates(
        &self,
        types: &[crate::certificate::CertificateType],
    ) -> Result<(), CatalogError> {
        let known = |code: &str| types.iter().any(|t| t.code == code);
        let err = |code: &str, field: &'static str| {
            Err(CatalogError::Item {
                code: self.impl_code.to_string(),
                message: crate::messages::Msg::new(
                    "certificate_type_unknown",
                    format!("证照类型 {code} 不在证照目录中，请先添加该证照类型"),
                    format!("certificate type {code} is not in the catalog; add the type first"),
                )
                .at(field),
            })
        };
        if let Some(t) = &self.certificate_type
            && !known(t)
        {
            return err(t, "certificate_type");
        }
        for m in &self.materials {
            if let Some(t) = &m.certificate
                && !known(t)
            {
                return err(t, "materials");
            }
        }
        Ok(())
    }

    pub fn is_effective_on(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|u| date <= u)
    }
}

impl Bundle {
    pub fn validate(&self, items: &[ServiceItem]) -> Result<(), CatalogError> {
        let err = |zh: String, en: String, field: &'static str| {
            Err(CatalogError::Bundle {
                code: self.code.to_string(),
                message: crate::messages::Msg::new("bundle_invalid", zh, en).at(field),
            })
        };
        if self.members.len() < 2 {
            return err(
                "一件事至少要包含两个事项".into(),
                "a bundle needs at least two member items".into(),
                "members",
            );
        }
        for m in &self.members {
            if !items.iter().any(|i| &i.impl_code == m) {
                return err(
                    format!("事项 {m} 不在事项目录中"),
                    format!("member item {m} is not in the catalog"),
                    "members",
                );
            }
        }
        let mut keys: Vec<&str> = self.form_fields.iter().map(|f| f.key.as_str()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return err(
                "合并表单中有重复的字段，请为每个字段设置不同的键".into(),
                "the merged form asks a field twice; give each field one key".into(),
                "fields",
            );
        }
        Ok(())
    }
}

/// The whole catalog in memory: every version of every item, bundle and process definition.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub departments: Vec<crate::org::Department>,
    pub items: Vec<ServiceItem>,
    pub bundles: Vec<Bundle>,
    pub processes: Vec<crate::process::ProcessDefinition>,
    pub certificate_types: Vec<crate::certificate::types::CertificateType>,
    /// The construction-approval path of each project type.
    pub project_paths: Vec<crate::project::PathDefinition>,
    /// Each item's figures before the reform (改革成效台账).
    pub baselines: Vec<crate::reform::Baseline>,
}

impl Catalog {
    /// Items in force on `date`, one version each.
    pub fn items_on(&self, date: NaiveDate) -> Vec<&ServiceItem> {
        let mut out: Vec<&ServiceItem> = Vec::new();
        for item in self.items.iter().filter(|i| i.is_effective_on(date)) {
            match out.iter_mut().find(|x| x.impl_code == item.impl_code) {
                Some(x) if x.version < item.version => *x = item,
                Some(_) => {}
                None => out.push(item),
            }
        }
        out
    }

    pub fn bundles_on(&self, date: NaiveDate) -> Vec<&Bundle> {
        let mut out: Vec<&Bundle> = Vec::new();
        for b in self.bundles.iter().filter(|b| b.effective_from <= date) {
            match out.iter_mut().find(|x| x.code == b.code) {
                Some(x) if x.version < b.version => *x = b,
                Some(_) => {}
                None => out.push(b),
            }
        }
        out
    }

    pub fn department(&self, code: &Code) -> Option<&crate::org::Department> {
        self.departments.iter().find(|d| &d.code == code)
    }

    /// The approval path of a project type.
    pub fn project_path(&self, kind: crate::project::ProjectType) -> Option<&crate::project::PathDefinition> {
        self.project_paths.iter().find(|p| p.kind == kind)
    }

    /// A certificate type by its 证照类型代码.
    pub fn certificate_type(&self, code: &str) -> Option<&crate::certificate::types::CertificateType> {
        self.certificate_types.iter().find(|t| t.code == code)
    }
}

impl crate::case::Registry for Catalog {
    fn item(&self, code: &Code, on: NaiveDate) -> Option<&ServiceItem> {
        self.items
            .iter()
            .filter(|i| &i.impl_code == code && i.is_effective_on(on))
            .max_by_key(|i| i.version)
    }

    fn item_version(&self, code: &Code, version: u32) -> Option<&ServiceItem> {
        self.items
            .iter()
            .find(|i| &i.impl_code == code && i.version == version)
    }

    fn bundle(&self, code: &Code, on: NaiveDate) -> Option<&Bundle> {
        self.bundles
            .iter()
            .filter(|b| &b.code == code && b.effective_from <= on)
            .max_by_key(|b| b.version)
    }

    fn process(&self, code: &Code, version: u32) -> Option<&crate::process::ProcessDefinition> {
        self.processes
            .iter()
            .find(|p| &p.code == code && p.version == version)
    }

    fn latest_process(&self, code: &Code) -> Option<&crate::process::ProcessDefinition> {
        self.processes
            .iter()
            .filter(|p| &p.code == code)
            .max_by_key(|p| p.version)
    }
}
