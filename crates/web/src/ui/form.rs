//! A submitted form (URL-encoded body or query) as name → values, read in one place.

use std::collections::BTreeMap;

pub struct FormData(pub(crate) BTreeMap<String, Vec<String>>);

impl FormData {
    /// A time limit from a number field `{key}_n` and a unit choice `{key}_unit` (`20` and `wd` give
    /// `20wd`), or from one text field `key`.
    pub fn limit_text(&self, key: &str) -> String {
        match (self.get(&format!("{key}_n")), self.get(&format!("{key}_unit"))) {
            (Some(n), Some(u)) => format!("{}{}", n.trim(), u.trim()),
            _ => self.text(key),
        }
    }

    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> FormData {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        FormData(map)
    }
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
    pub(crate) fn parse(body: &[u8]) -> FormData {
        FormData::from_pairs(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.first()).map(String::as_str)
    }
    pub(crate) fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or("").trim().to_owned()
    }
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }
}

/// What a form shows after a refusal: a message at the top (`error`) and each field's mistake beside
/// that field (`errors`, read by the templates' `field_error` and `invalid`). Several mistakes are
/// summarised at the top and each is shown where it is.
pub(crate) fn refusal(e: &crate::error::ApiError, lang: onego_domain::labels::Lang) -> minijinja::Value {
    let fields = e.field_texts(lang);
    let top = if fields.len() > 1 {
        lang.pick(
            &format!("有 {} 处需要更正，请看下面标出的地方后再提交。", fields.len()),
            &format!(
                "{} things need correcting: see the marked fields, then send again.",
                fields.len()
            ),
        )
        .to_owned()
    } else {
        e.text(lang)
    };
    minijinja::context! { error => top, errors => fields }
}

/// The same for a form shown without a refusal.
pub(crate) fn no_refusal() -> minijinja::Value {
    minijinja::context! { error => "", errors => std::collections::BTreeMap::<String, String>::new() }
}
