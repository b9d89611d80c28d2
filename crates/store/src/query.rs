//! Building the WHERE clause of a list from optional filters.

use crate::sql::Value;

/// A WHERE clause built from optional filters: conditions joined by AND, each with its parameters.
#[derive(Default)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    pub(crate) params: Vec<Value>,
}

impl Filter {
    /// A condition with one parameter, written `{p}` (as often as the condition needs it).
    pub(crate) fn add(&mut self, condition: &str, v: Value) {
        self.params.push(v);
        self.clauses
            .push(condition.replace("{p}", &format!("${}", self.params.len())));
    }

    /// A condition with several parameters, written `{p1}`, `{p2}`, … in order.
    pub(crate) fn add_all(&mut self, condition: &str, values: Vec<Value>) {
        let mut clause = condition.to_owned();
        for (i, v) in values.into_iter().enumerate() {
            self.params.push(v);
            clause = clause.replace(&format!("{{p{}}}", i + 1), &format!("${}", self.params.len()));
        }
        self.clauses.push(clause);
    }

    /// `column IN (…)` for the values given (nothing when there are none).
    pub(crate) fn any_of(&mut self, column: &str, values: Vec<Value>) {
        if values.is_empty() {
            return;
        }
        let mut marks = Vec::with_capacity(values.len());
        for v in values {
            self.params.push(v);
            marks.push(format!("${}", self.params.len()));
        }
        self.clauses.push(format!("{column} IN ({})", marks.join(", ")));
    }

    /// A search box: the row whose `number` is the text, or whose `words` column contains it as written
    /// (`%` and `_` match only themselves). Nothing when the text is blank.
    pub(crate) fn number_or_words(&mut self, words: &str, text: Option<&str>) {
        let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return;
        };
        let pattern = format!(
            "%{}%",
            t.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
        );
        self.add_all(
            &format!("(number = {{p1}} OR {words} LIKE {{p2}} ESCAPE '\\')"),
            vec![t.into(), pattern.into()],
        );
    }

    /// Keyset paging, newest first: only the rows listed after (`at`, id) by (`column` DESC, id DESC).
    pub(crate) fn before(&mut self, column: &str, after: Option<(i64, i64)>) {
        if let Some((at, id)) = after {
            self.add_all(
                &format!("({column} < {{p1}} OR ({column} = {{p1}} AND id < {{p2}}))"),
                vec![Value::Int(at), Value::Int(id)],
            );
        }
    }

    /// A condition without parameters.
    pub(crate) fn push_clause(&mut self, clause: &str) {
        self.clauses.push(clause.to_owned());
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}
