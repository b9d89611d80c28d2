//! A small rule language over form data, for automatic steps (秒批) and exclusive choices.
//!
//! ```text
//! registered_capital <= 1000000 and industry in ["餐饮", "零售"]
//! not (area > 200) or has_fire_certificate == true
//! ```
//! Names are form fields; a field that is missing reads as null, which equals only null and orders with
//! nothing. Rules are parsed when a process definition is loaded, so an error is found before any case.

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Or(Box<Rule>, Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Not(Box<Rule>),
    Compare(Operand, Op, Operand),
    In(Operand, Vec<Operand>),
    /// A bare field: true when it is present and truthy (true, non-zero, non-empty).
    Truthy(Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(String),
    Number(f64),
    Text(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rule \"{rule}\": {message} (at character {at})")]
pub struct RuleError {
    pub rule: String,
    pub message: String,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, RuleError> {
    let err = |m: &str, at| RuleError {
        rule: src.to_owned(),
        message: m.to_owned(),
        at,
    };
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => (out.push((Tok::LParen, start)), i += 1).1,
            ')' => (out.push((Tok::RParen, start)), i += 1).1,
            '[' => (out.push((Tok::LBracket, start)), i += 1).1,
            ']' => (out.push((Tok::RBracket, start)), i += 1).1,
            ',' => (out.push((Tok::Comma, start)), i += 1).1,
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('=', Some('=')) => (Op::Eq, 2),
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', _) => (Op::Lt, 1),
                    ('>', _) => (Op::Gt, 1),
                    _ => return Err(err("use == for equality and != for inequality", start)),
                };
                out.push((Tok::Op(op), start));
                i += len;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err("a text value is not closed; end it with \"", start)),
                        Some('"') => break,
                        Some('\\') if chars.get(i + 1).is_some() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                i += 1;
                out.push((Tok::Str(s), start));
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let n = text.parse().map_err(|_| err("not a number", start))?;
                out.push((Tok::Num(n), start));
            }
            c if c.is_alphanumeric() || c == '_' => {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), start));
            }
            _ => return Err(err(&format!("unexpected character '{c}'"), start)),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, m: &str) -> RuleError {
        let at = self
            .toks
            .get(self.pos)
            .map(|t| t.1)
            .unwrap_or(self.src.chars().count());
        RuleError {
            rule: self.src.to_owned(),
            message: m.to_owned(),
            at,
        }
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == k)
    }
    fn or(&mut self) -> Result<Rule, RuleError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Rule::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Rule, RuleError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Rule::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Rule, RuleError> {
        if self.keyword("not") {
            self.pos += 1;
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }
    fn comparison(&mut self) -> Result<Rule, RuleError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::RParen) {
                return Err(self.err("expected ')'"));
            }
            self.pos += 1;
            return Ok(inner);
        }
        let left = self.operand()?;
        match self.peek().cloned() {
            Some(Tok::Op(op)) => {
                self.pos += 1;
                Ok(Rule::Compare(left, op, self.operand()?))
            }
            Some(Tok::Ident(k)) if k == "in" => {
                self.pos += 1;
                if self.peek() != Some(&Tok::LBracket) {
                    return Err(self.err("expected '[' after in"));
                }
                self.pos += 1;
                let mut list = Vec::new();
                while self.peek() != Some(&Tok::RBracket) {
                    list.push(self.operand()?);
                    match self.peek() {
                        Some(Tok::Comma) => self.pos += 1,
                        Some(Tok::RBracket) => {}
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
                self.pos += 1;
                Ok(Rule::In(left, list))
            }
            _ => Ok(Rule::Truthy(left)),
        }
    }
    fn operand(&mut self) -> Result<Operand, RuleError> {
        let tok = self
            .peek()
            .cloned()
            .ok_or_else(|| self.err("the rule ends too early"))?;
        self.pos += 1;
        Ok(match tok {
            Tok::Num(n) => Operand::Number(n),
            Tok::Str(s) => Operand::Text(s),
            Tok::Ident(s) if s == "true" => Operand::Bool(true),
            Tok::Ident(s) if s == "false" => Operand::Bool(false),
            Tok::Ident(s) if s == "null" => Operand::Null,
            Tok::Ident(s) if ["and", "or", "not", "in"].contains(&s.as_str()) => {
                self.pos -= 1;
                return Err(self.err(&format!("expected a field or value, found '{s}'")));
            }
            Tok::Ident(s) => Operand::Field(s.strip_prefix("form.").unwrap_or(&s).to_owned()),
            _ => {
                self.pos -= 1;
                return Err(self.err("expected a field or value"));
            }
        })
    }
}

impl Rule {
    pub fn parse(src: &str) -> Result<Rule, RuleError> {
        let toks = tokenize(src)?;
        if toks.is_empty() {
            return Err(RuleError {
                rule: src.to_owned(),
                message: "the rule is empty".into(),
                at: 0,
            });
        }
        let mut p = Parser { src, toks, pos: 0 };
        let rule = p.or()?;
        if p.pos < p.toks.len() {
            return Err(p.err("unexpected words after the rule; join conditions with and / or"));
        }
        Ok(rule)
    }

    /// Evaluates the rule against form data (a JSON object).
    pub fn eval(&self, form: &Value) -> bool {
        match self {
            Rule::Or(a, b) => a.eval(form) || b.eval(form),
            Rule::And(a, b) => a.eval(form) && b.eval(form),
            Rule::Not(a) => !a.eval(form),
            Rule::Compare(a, op, b) => compare(&a.value(form), *op, &b.value(form)),
            Rule::In(a, list) => {
                let v = a.value(form);
                list.iter().any(|x| compare(&v, Op::Eq, &x.value(form)))
            }
            Rule::Truthy(a) => match a.value(form) {
                Value::Bool(b) => b,
                Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(v) => !v.is_empty(),
                Value::Object(_) => true,
                Value::Null => false,
            },
        }
    }

    /// The form fields the rule reads.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        let mut op = |o: &'a Operand| {
            if let Operand::Field(f) = o {
                out.push(f.as_str());
            }
        };
        match self {
            Rule::Or(a, b) | Rule::And(a, b) => {
                a.collect_fields(out);
                b.collect_fields(out);
            }
            Rule::Not(a) => a.collect_fields(out),
            Rule::Compare(a, _, b) => {
                op(a);
                op(b);
            }
            Rule::In(a, list) => {
                op(a);
                list.iter().for_each(op);
            }
            Rule::Truthy(a) => op(a),
        }
    }
}

impl Operand {
    fn value(&self, form: &Value) -> Value {
        match self {
            Operand::Field(path) => {
                let mut v = form;
                for part in path.split('.') {
                    match v.get(part) {
                        Some(x) => v = x,
                        None => return Value::Null,
                    }
                }
                v.clone()
            }
            Operand::Number(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Operand::Text(s) => Value::String(s.clone()),
            Operand::Bool(b) => Value::Bool(*b),
            Operand::Null => Value::Null,
        }
    }
}

/// Numbers written as text in a form ("1000") compare as numbers.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn compare(a: &Value, op: Op, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (a, b) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => match (a, b) {
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => None,
            },
        },
    };
    match (op, ordering) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (_, None) => false,
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        })
    }
}
