//! Certificate types (证照类型) as the catalog keeps them: what a type is called and coded, who issues
//! it, whom it is issued to, how long it holds, and the business data it carries, each field taken
//! from the application form of the case whose decision issues it. A type is either a licence (证照)
//! or a shared data set (共享数据: social-insurance or housing-fund records that another system
//! provides); both are sealed and used the same way, and either can satisfy a material.

use serde::{Deserialize, Serialize};

use crate::certificate::identifier::CertificateId;
use crate::values::{ApplicantId, Code};

/// Whom a type is issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// A natural person (居民身份证号码).
    Person,
    /// An organisation (统一社会信用代码).
    Organisation,
    /// Either.
    Any,
}

impl HolderKind {
    pub fn admits(self, holder: &ApplicantId) -> bool {
        matches!(
            (self, holder),
            (HolderKind::Any, _)
                | (HolderKind::Person, ApplicantId::Person { .. })
                | (HolderKind::Organisation, ApplicantId::Organisation { .. })
        )
    }
}

/// A licence, or a data set another system shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TypeKind {
    #[default]
    Licence,
    DataSet,
}

/// One field of a type's business data (业务信息).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeField {
    /// The name printed on the certificate, and its key in the data.
    pub label: String,
    /// The application form field it is taken from when a decision issues the certificate.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// 证照类型.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateType {
    /// 证照类型代码: the 21 characters GB/T 36904 puts first in an identifier.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub kind: TypeKind,
    /// The department that issues it (or, for a data set, provides it).
    pub department: Code,
    pub holder: HolderKind,
    /// Years it holds from issue; `None`: without end.
    #[serde(default)]
    pub validity_years: Option<u32>,
    #[serde(default)]
    pub fields: Vec<TypeField>,
    /// Days before the end of validity its holder is reminded (云提醒); licences only.
    #[serde(default = "default_reminders")]
    pub remind_before: Vec<u32>,
    /// Its holder files an annual report (企业年报) and is reminded of it.
    #[serde(default)]
    pub annual_report: bool,
    /// The item that renews it (延续, 换证), offered with the reminder.
    #[serde(default)]
    pub renewal_item: Option<String>,
}

fn default_reminders() -> Vec<u32> {
    vec![90, 30, 7]
}

impl CertificateType {
    /// What onego reminds a holder of this type's certificates of.
    pub fn reminders(&self) -> crate::certificate::Reminders {
        crate::certificate::Reminders {
            before_expiry: match self.kind {
                TypeKind::Licence => self.remind_before.clone(),
                TypeKind::DataSet => vec![],
            },
            annual_report: self.annual_report,
            renewal_item: self.renewal_item.clone(),
            ..Default::default()
        }
    }
}

/// Why a certificate type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate type {code}: {message}")]
pub struct TypeError {
    pub code: String,
    pub message: String,
}

impl CertificateType {
    pub fn validate(&self) -> Result<(), TypeError> {
        let err = |m: String| TypeError {
            code: self.code.clone(),
            message: m,
        };
        // A type code is checked as an identifier would check it, with a placeholder issuer and serial.
        CertificateId::new(&self.code, "371700", "000001", 1)
            .map_err(|e| err(format!("the type code does not fit GB/T 36904: {e}")))?;
        if self.name.trim().is_empty() {
            return Err(err("the type has no name".into()));
        }
        if self.validity_years == Some(0) {
            return Err(err(
                "a validity of 0 years would expire at once; leave it out for no end".into(),
            ));
        }
        let mut labels: Vec<&str> = self.fields.iter().map(|f| f.label.as_str()).collect();
        labels.sort_unstable();
        if let Some(w) = labels.windows(2).find(|w| w[0] == w[1]) {
            return Err(err(format!("the field {} is listed twice", w[0])));
        }
        Ok(())
    }

    /// The business data of a certificate issued on a decision: each field from its form field, and
    /// the fields a form does not carry left out. `Err` names the first required field the form lacks.
    pub fn data_from_form(&self, form: &serde_json::Value) -> Result<serde_json::Value, String> {
        let mut data = serde_json::Map::new();
        for f in &self.fields {
            let value = f
                .from
                .as_deref()
                .and_then(|k| form.get(k))
                .filter(|v| !v.is_null() && v.as_str() != Some(""));
            match value {
                Some(v) => {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    data.insert(f.label.clone(), text.into());
                }
                None if f.required => return Err(f.label.clone()),
                None => {}
            }
        }
        Ok(serde_json::Value::Object(data))
    }
}

impl CertificateType {
    /// Fills the application form from a certificate of this type (data instead of typing): each field
    /// with a form key that the form does not carry yet takes the certificate's value, a number where
    /// the text is one (so a rule can compare it).
    pub fn fill_form(&self, data: &serde_json::Value, form: &mut serde_json::Value) {
        let Some(form) = form.as_object_mut() else {
            return;
        };
        for f in &self.fields {
            let (Some(key), Some(value)) = (f.from.as_deref(), data.get(&f.label)) else {
                continue;
            };
            let present = form
                .get(key)
                .is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
            if present {
                continue;
            }
            let value = match value.as_str().map(|t| t.trim().parse::<f64>()) {
                Some(Ok(n)) => serde_json::Number::from_f64(n)
                    .map(serde_json::Value::Number)
                    .unwrap_or_else(|| value.clone()),
                _ => value.clone(),
            };
            form.insert(key.to_owned(), value);
        }
    }
}

/// A record of a shared data set as another system sends it, before it is sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedRecord {
    pub holder: ApplicantId,
    pub holder_name: String,
    pub data: serde_json::Value,
    pub valid_until: Option<chrono::NaiveDate>,
}

/// At most this many records in one import.
pub const MAX_IMPORT: usize = 1000;

impl CertificateType {
    /// Checks a record of this data set: a holder of the right kind with a name, data that is an object
    /// with every required field and no field the type does not know, and a validity not already over.
    pub fn check_record(
        &self,
        r: &SharedRecord,
        today: chrono::NaiveDate,
    ) -> Result<(), crate::messages::Msg> {
        use crate::messages::Msg;
        if !self.holder.admits(&r.holder) {
            return Err(Msg::new(
                "record_holder_kind",
                format!("{}只能属于{}", self.name, crate::labels::Label::zh(&self.holder)),
                format!(
                    "a {} belongs only to {}",
                    self.name,
                    crate::labels::Label::en(&self.holder)
                ),
            )
            .at("holder_id"));
        }
        if r.holder_name.trim().is_empty() || r.holder_name.chars().count() > 100 {
            return Err(Msg::new(
                "record_holder_name",
                "请填写持有人姓名或单位名称（不超过100字）",
                "give the holder's name (at most 100 characters)",
            )
            .at("holder_name"));
        }
        let Some(data) = r.data.as_object() else {
            return Err(Msg::new(
                "record_data_not_object",
                "data 须为各字段取值组成的 JSON 对象",
                "data must be a JSON object of field values",
            )
            .at("data"));
        };
        for (k, v) in data {
            if !self.fields.iter().any(|f| &f.label == k) {
                let known: Vec<&str> = self.fields.iter().map(|f| f.label.as_str()).collect();
                return Err(Msg::new(
                    "record_field_unknown",
                    format!("{}没有“{k}”这一字段；可用字段：{}", self.name, known.join("、")),
                    format!(
                        "a {} has no field “{k}”; its fields: {}",
                        self.name,
                        known.join(", ")
                    ),
                )
                .at("data"));
            }
            if !(v.is_string() || v.is_number() || v.is_boolean()) {
                return Err(Msg::new(
                    "record_field_value",
                    format!("“{k}”的值须为文字、数字或是否"),
                    format!("the value of “{k}” must be text, a number or true/false"),
                )
                .at("data"));
            }
        }
        if let Some(f) = self
            .fields
            .iter()
            .find(|f| f.required && !data.contains_key(&f.label))
        {
            return Err(Msg::new(
                "record_field_missing",
                format!("缺少必填字段“{}”", f.label),
                format!("the required field “{}” is missing", f.label),
            )
            .at("data"));
        }
        if r.valid_until.is_some_and(|d| d < today) {
            return Err(Msg::new(
                "record_expired",
                "有效期截止日期已过，过期数据不能作为共享数据导入",
                "the validity has already ended; expired data cannot be imported",
            )
            .at("valid_until"));
        }
        Ok(())
    }
}
