//! Messages for people — every refusal and notice that can reach a page — in Chinese and English,
//! chosen when shown (`Msg::text(lang)`), with a stable code for programs and tests. A message is
//! made where the rule that refuses lives, in both languages at once, so the two never drift apart;
//! the edge (a page, the API) picks the language. The API answers `message` in English and
//! `message_zh` in Chinese; pages show the reader's language.
//!
//! A message written in English only (`Msg::from(String)`, code `untranslated`) still works, and shows
//! its English on a Chinese page: the browser test that walks every page in Chinese fails on it where
//! a person can see it.

use std::fmt;

use serde::Serialize;

use crate::labels::Lang;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msg {
    /// Stable, for programs and tests: `materials_missing`, `rating_needs_comment`, …
    pub code: &'static str,
    pub zh: String,
    pub en: String,
    /// The form field the message is about (`content`, `category`, `phone`, …), so a page shows it
    /// beside that field; `None` for a message about the whole action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Box<str>>,
}

impl Msg {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Msg {
        Msg {
            code,
            zh: zh.into(),
            en: en.into(),
            field: None,
        }
    }

    /// The same message, about the form field `field`.
    pub fn at(mut self, field: impl Into<String>) -> Msg {
        self.field = Some(field.into().into_boxed_str());
        self
    }

    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Whether the message has its Chinese text.
    pub fn is_translated(&self) -> bool {
        self.code != UNTRANSLATED
    }

    /// The same message with a prefix in each language (the field it is about, say).
    pub fn prefixed(self, zh: &str, en: &str) -> Msg {
        Msg {
            code: self.code,
            zh: format!("{zh}{}", self.zh),
            en: format!("{en}{}", self.en),
            field: self.field,
        }
    }
}

/// The code of a message written in English only.
pub const UNTRANSLATED: &str = "untranslated";

impl From<String> for Msg {
    fn from(en: String) -> Msg {
        Msg {
            code: UNTRANSLATED,
            zh: en.clone(),
            en,
            field: None,
        }
    }
}

impl From<&str> for Msg {
    fn from(en: &str) -> Msg {
        Msg::from(en.to_owned())
    }
}

/// Logs and `to_string()` read the English.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// A list of names as Chinese writes it (、) and as English does (, ).
pub fn names(list: &[&str]) -> (String, String) {
    (list.join("、"), list.join(", "))
}
