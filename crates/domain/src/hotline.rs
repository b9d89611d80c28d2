//! The hotline's own data (12345 热线): request categories with their questions (Open311 attributes),
//! the SLA profiles that set their limits, and the governance areas. Data, edited by administrators and
//! read from `hotline.toml`-shaped files; every rule that uses it is here or in `ticket`.

use serde::{Deserialize, Serialize};

use crate::grid::Area;
use crate::ticket::{Category, SlaProfile};
use crate::values::Code;

/// The 12345 centre's department code: its tasks (dispatch, return visit, extension decisions) land in
/// this inbox.
pub const CENTRE: &str = "hotline";
/// The SLA profile of an enterprise whistle.
pub const WHISTLE_SLA: &str = "whistle";

/// The six Open311 attribute datatypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl AttributeType {
    pub const ALL: [AttributeType; 6] = [
        AttributeType::String,
        AttributeType::Number,
        AttributeType::Datetime,
        AttributeType::Text,
        AttributeType::Singlevaluelist,
        AttributeType::Multivaluelist,
    ];

    /// The name Open311 gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Number => "number",
            AttributeType::Datetime => "datetime",
            AttributeType::Text => "text",
            AttributeType::Singlevaluelist => "singlevaluelist",
            AttributeType::Multivaluelist => "multivaluelist",
        }
    }

    pub fn is_list(self) -> bool {
        matches!(
            self,
            AttributeType::Singlevaluelist | AttributeType::Multivaluelist
        )
    }
}

/// An extra question a category asks (an Open311 service attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub code: String,
    pub datatype: AttributeType,
    #[serde(default)]
    pub required: bool,
    /// The question, as shown to the requester.
    pub description: String,
    #[serde(default)]
    pub datatype_description: String,
    /// For the list types: (key, name) of each choice.
    #[serde(default)]
    pub values: Vec<(String, String)>,
}

/// A request category: its two levels, the department that usually handles it and the SLA profile
/// that applies. The code is the Open311 `service_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketCategory {
    pub code: Code,
    pub level1: String,
    pub level2: String,
    pub department: Code,
    pub sla: Code,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

impl TicketCategory {
    /// The category as a request records it.
    pub fn category(&self) -> Category {
        Category {
            code: self.code.clone(),
            level1: self.level1.clone(),
            level2: self.level2.clone(),
        }
    }

    /// Checks answers against the attributes: required ones present, list values among the choices,
    /// numbers and datetimes well formed. Unknown codes are refused so a typo is not silently lost.
    pub fn check_attributes(&self, answers: &[(String, String)]) -> Result<(), String> {
        for (code, value) in answers {
            let Some(a) = self.attributes.iter().find(|a| a.code == *code) else {
                return Err(format!("{} has no question \"{code}\"", self.code));
            };
            let ok = match a.datatype {
                AttributeType::Number => value.trim().parse::<f64>().is_ok(),
                AttributeType::Datetime => chrono::DateTime::parse_from_rfc3339(value.trim()).is_ok(),
                AttributeType::Singlevaluelist | AttributeType::Multivaluelist => {
                    a.values.iter().any(|(k, _)| k == value)
                }
                AttributeType::String | AttributeType::Text => !value.trim().is_empty(),
            };
            if !ok {
                return Err(match a.datatype {
                    AttributeType::Number => format!("\"{code}\" must be a number"),
                    AttributeType::Datetime => {
                        format!("\"{code}\" must be a date and time such as 2026-11-22T09:30:00+08:00")
                    }
                    AttributeType::Singlevaluelist | AttributeType::Multivaluelist => {
                        let keys: Vec<&str> = a.values.iter().map(|(k, _)| k.as_str()).collect();
                        format!("\"{code}\" must be one of {}", keys.join(", "))
                    }
                    AttributeType::String | AttributeType::Text => format!("\"{code}\" is empty"),
                });
            }
            if a.datatype == AttributeType::Singlevaluelist
                && answers.iter().filter(|(c, _)| c == code).count() > 1
            {
                return Err(format!("\"{code}\" takes one value"));
            }
        }
        for a in self.attributes.iter().filter(|a| a.required) {
            if !answers.iter().any(|(c, _)| *c == a.code) {
                return Err(format!("answer \"{}\" ({})", a.code, a.description));
            }
        }
        Ok(())
    }
}

/// The hotline's data: categories, SLA profiles and the grid areas.
#[derive(Debug, Clone, Default)]
pub struct Hotline {
    pub categories: Vec<TicketCategory>,
    pub sla: Vec<SlaProfile>,
    pub areas: Vec<Area>,
}

impl Hotline {
    pub fn category(&self, code: &str) -> Option<&TicketCategory> {
        self.categories.iter().find(|c| c.code.as_str() == code)
    }

    pub fn sla(&self, code: &str) -> Option<&SlaProfile> {
        self.sla.iter().find(|s| s.code.as_str() == code)
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code.as_str() == code)
    }
}

/// The hotline file (`hotline.toml`): SLA profiles and categories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlineFile {
    #[serde(default)]
    pub sla: Vec<SlaProfile>,
    #[serde(default)]
    pub category: Vec<TicketCategory>,
}

impl HotlineFile {
    /// Parses and checks a hotline file: every category names a known SLA profile, every attribute has
    /// one of the six datatypes (the parser refuses others, naming them) and list attributes have choices.
    pub fn parse(text: &str) -> Result<HotlineFile, String> {
        let f: HotlineFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for c in &f.category {
            if !f.sla.iter().any(|s| s.code == c.sla) {
                return Err(format!(
                    "category {} names SLA profile {} which the file does not define",
                    c.code, c.sla
                ));
            }
            for a in &c.attributes {
                if a.datatype.is_list() && a.values.is_empty() {
                    return Err(format!(
                        "category {} attribute {}: a list needs values",
                        c.code, a.code
                    ));
                }
            }
        }
        Ok(f)
    }
}
