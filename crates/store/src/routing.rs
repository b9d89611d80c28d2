//! Routing suggestions for requests: a segmenter and a classifier, started from each category's own
//! words, trained from past dispatches at start and from every dispatch after.

use onego_domain::hotline::{Hotline, TicketCategory};
use serde::Serialize;

use crate::StoreError;
use crate::parking::Mutex;
use crate::sql::{Conn, Value};

/// Segmenter and classifier, trained from past dispatches and every new one.
pub struct Routing {
    segmenter: onego_text::Segmenter,
    router: Mutex<onego_text::Router>,
}

/// A routing suggestion: category and department, how sure, and the words that led to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteSuggestion {
    pub category: String,
    pub category_name: String,
    pub department: String,
    pub confidence: f64,
    pub words: Vec<String>,
}

/// A dispatcher's choice that differs from the top suggestion teaches this many times as much.
pub const OVERRIDE_WEIGHT: f64 = 3.0;

fn label(category: &str, department: &str) -> String {
    format!("{category}|{department}")
}

impl Default for Routing {
    fn default() -> Self {
        Routing {
            segmenter: onego_text::Segmenter::default(),
            router: Mutex::new(onego_text::Router::default()),
        }
    }
}

impl Routing {
    pub fn words(&self, text: &str) -> Vec<String> {
        self.segmenter.words(text)
    }

    pub fn learn(&self, words: &[String], category: &str, department: &str, weight: f64) {
        self.router
            .lock()
            .learn(words, &label(category, department), weight);
    }

    /// Learns each category's own words (name, description, keywords) for its usual department, so
    /// a category nobody has dispatched yet can still be suggested. Categories in `known` (already
    /// learned, unchanged) are not learned twice.
    pub fn learn_categories(&self, hotline: &Hotline, known: &[TicketCategory]) {
        for c in hotline.categories.iter().filter(|c| !known.contains(c)) {
            let text = format!(
                "{} {} {} {}",
                c.level1,
                c.level2,
                c.description,
                c.keywords.join(" ")
            );
            self.learn(&self.words(&text), c.code.as_str(), c.department.as_str(), 1.0);
        }
    }

    pub fn suggest_words(&self, words: &[String], n: usize, hotline: &Hotline) -> Vec<RouteSuggestion> {
        let raw = self.router.lock().suggest(words, n);
        raw.into_iter()
            .filter_map(|s| {
                let (c, d) = s.label.split_once('|')?;
                let cat = hotline.category(c)?;
                Some(RouteSuggestion {
                    category: c.to_owned(),
                    category_name: format!("{} / {}", cat.level1, cat.level2),
                    department: d.to_owned(),
                    confidence: s.confidence,
                    words: s.words,
                })
            })
            .collect()
    }
}

/// Past dispatches to learn from: (content, category, lead department), oldest first.
pub fn past_dispatches(conn: &mut dyn Conn, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
    conn.query(
        "SELECT content, category_code, lead FROM tickets WHERE lead IS NOT NULL ORDER BY received_at DESC LIMIT $1",
        &[Value::Int(limit)],
    )?
    .iter()
    .rev()
    .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}
