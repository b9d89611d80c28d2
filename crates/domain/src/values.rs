//! Validated values. Each `parse` either returns a value that is right by its national standard or an
//! error that tells the person at the keyboard what is wrong.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("统一社会信用代码 \"{0}\" is invalid: {1}")]
    Uscc(String, &'static str),
    #[error("ID number \"{0}\" is invalid: {1}")]
    ResidentId(String, &'static str),
    #[error("mobile number \"{0}\" is invalid: give 11 digits beginning with 1, for example 13812345678")]
    Mobile(String),
    #[error("e-mail address \"{0}\" is invalid: give it as name@example.com, without spaces")]
    Email(String),
    #[error(
        "case number \"{0}\" is invalid: it is a 6-digit region code, a date YYYYMMDD and a 6-digit sequence"
    )]
    CaseNumber(String),
    #[error("code \"{0}\" is invalid: use 2 to 40 letters, digits, '-' or '_'")]
    Code(String),
    #[error("region code \"{0}\" is invalid: give the 6-digit GB/T 2260 code, for example 370100")]
    RegionCode(String),
    #[error(
        "\"{0}\" is not a file of this application: a file is an upload, referred to as /uploads/<id>; upload it first"
    )]
    FileRef(String),
}

impl ValueError {
    /// The message for a person, in both languages.
    pub fn msg(&self) -> crate::messages::Msg {
        use crate::messages::Msg;
        let why_zh = |why: &str| -> &'static str {
            match why {
                "it must have 18 characters" => "应为18位",
                "it may contain only digits and capital letters other than I, O, Z, S and V" => {
                    "只能包含数字和除 I、O、Z、S、V 以外的大写字母"
                }
                "characters 3 to 8 are the region code and must be digits" => {
                    "第3至8位是行政区划码，应为数字"
                }
                "the check character does not match; look for a mistyped character" => {
                    "校验码不符，请核对是否有输错的字符"
                }
                "the first 17 characters must be digits" => "前17位应为数字",
                "the last character must be a digit or X" => "最后一位应为数字或 X",
                "it must begin with a region code, which never begins with 0" => {
                    "应以行政区划码开头，不能以0开头"
                }
                "characters 7 to 14 must be a birth date YYYYMMDD" => "第7至14位应为出生日期（年月日）",
                "the check character does not match; look for a mistyped digit" => {
                    "校验码不符，请核对是否有输错的数字"
                }
                _ => "格式不正确",
            }
        };
        let en = self.to_string();
        match self {
            ValueError::Uscc(v, why) => Msg::new(
                "uscc_invalid",
                format!("统一社会信用代码“{v}”有误：{}", why_zh(why)),
                en,
            ),
            ValueError::ResidentId(v, why) => Msg::new(
                "id_number_invalid",
                format!("身份证号码“{v}”有误：{}", why_zh(why)),
                en,
            ),
            ValueError::Mobile(v) => Msg::new(
                "mobile_invalid",
                format!("手机号码“{v}”有误：应为以1开头的11位数字，例如 13812345678"),
                en,
            ),
            ValueError::Email(v) => Msg::new(
                "email_invalid",
                format!("电子邮箱“{v}”有误：应形如 name@example.com，不含空格"),
                en,
            ),
            ValueError::CaseNumber(v) => Msg::new(
                "case_number_invalid",
                format!("办件编号“{v}”有误：应为6位行政区划码、8位日期和6位序号"),
                en,
            ),
            ValueError::Code(v) => Msg::new(
                "code_invalid",
                format!("代码“{v}”有误：请使用2至40个字母、数字、“-”或“_”"),
                en,
            ),
            ValueError::RegionCode(v) => Msg::new(
                "region_code_invalid",
                format!("行政区划码“{v}”有误：请填写6位 GB/T 2260 代码，例如 370100"),
                en,
            ),
            ValueError::FileRef(v) => {
                Msg::new("file_ref_invalid", format!("“{v}”不是本申请的文件，请先上传"), en)
            }
        }
    }
}

/// The characters of a 统一社会信用代码 (GB 32100-2015): digits and capitals without I, O, Z, S, V.
const USCC_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// 统一社会信用代码: the 18-character code of an enterprise or other organisation (GB 32100-2015).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

impl Uscc {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let s = text.trim().to_ascii_uppercase();
        let err = |why| ValueError::Uscc(text.to_owned(), why);
        if s.len() != 18 {
            return Err(err("it must have 18 characters"));
        }
        let mut values = [0u32; 18];
        for (i, b) in s.bytes().enumerate() {
            values[i] = USCC_CHARSET.iter().position(|&c| c == b).ok_or(err(
                "it may contain only digits and capital letters other than I, O, Z, S and V",
            ))? as u32;
        }
        if !s.as_bytes()[2..8].iter().all(u8::is_ascii_digit) {
            return Err(err("characters 3 to 8 are the region code and must be digits"));
        }
        if values[17] != Self::check_value(&values[..17]) {
            return Err(err(
                "the check character does not match; look for a mistyped character",
            ));
        }
        Ok(Uscc(s))
    }

    fn check_value(first17: &[u32]) -> u32 {
        let sum: u32 = first17.iter().zip(USCC_WEIGHTS).map(|(v, w)| v * w).sum();
        (31 - sum % 31) % 31
    }

    /// Completes 17 characters with the right check character (for test and demo data).
    pub fn with_check(first17: &str) -> Option<Self> {
        let mut values = Vec::with_capacity(17);
        for b in first17.bytes() {
            values.push(USCC_CHARSET.iter().position(|&c| c == b)? as u32);
        }
        if values.len() != 17 {
            return None;
        }
        let check = USCC_CHARSET[Self::check_value(&values) as usize] as char;
        Self::parse(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 公民身份号码: the 18-character resident ID number (GB 11643-1999).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECKS: &[u8; 11] = b"10X98765432";

impl ResidentId {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let s = text.trim().to_ascii_uppercase();
        let err = |why| ValueError::ResidentId(text.to_owned(), why);
        if s.len() != 18 {
            return Err(err("it must have 18 characters"));
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) {
            return Err(err("the first 17 characters must be digits"));
        }
        if !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(err("the last character must be a digit or X"));
        }
        if b[0] == b'0' {
            return Err(err("it must begin with a region code, which never begins with 0"));
        }
        if NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").is_err() {
            return Err(err("characters 7 to 14 must be a birth date YYYYMMDD"));
        }
        if b[17] != Self::check_char(&s[..17]) {
            return Err(err(
                "the check character does not match; look for a mistyped digit",
            ));
        }
        Ok(ResidentId(s))
    }

    fn check_char(first17: &str) -> u8 {
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(c, w)| u32::from(c - b'0') * w)
            .sum();
        ID_CHECKS[(sum % 11) as usize]
    }

    /// Completes 17 digits with the right check character (for test and demo data).
    pub fn with_check(first17: &str) -> Option<Self> {
        if first17.len() != 17 || !first17.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Self::parse(&format!("{first17}{}", Self::check_char(first17) as char)).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `370102********123X`: region kept for routing, birth date hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

/// A mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let t = t.strip_prefix("+86").unwrap_or(&t);
        let b = t.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Mobile(t.to_owned()))
        } else {
            Err(ValueError::Mobile(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// An e-mail address: one `@`, a local part and a domain with a dot, no spaces or control characters,
/// at most 254 characters (RFC 5321). Deliberately plain: the mail server is the final judge, this
/// refuses what is certainly a typing mistake where it is entered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        let bad = || ValueError::Email(text.to_owned());
        if t.len() > 254
            || t.chars()
                .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
        {
            return Err(bad());
        }
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if local.is_empty()
            || local.len() > 64
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || domain.contains('@')
            || !domain.contains('.')
            || !labels_ok
        {
            return Err(bad());
        }
        Ok(Email(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `w***@example.com`: the first character and the domain.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').expect("parsed");
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

/// Where a person may be reached, as entered: each address given is parsed (normalised), and each
/// channel chosen needs its address. Every mistake comes back at once, each at its field (`email`,
/// `mobile`); a chosen channel whose address is malformed is reported once, as malformed.
pub fn parse_contact(
    email: Option<&str>,
    mobile: Option<&str>,
    by_email: bool,
    by_sms: bool,
) -> Result<(Option<Email>, Option<Mobile>), Vec<crate::messages::Msg>> {
    use crate::messages::Msg;
    fn given(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let mut errors = Vec::new();
    let email = match given(email).map(Email::parse).transpose() {
        Ok(e) => e,
        Err(e) => {
            errors.push(e.msg().at("email"));
            None
        }
    };
    let mobile = match given(mobile).map(Mobile::parse).transpose() {
        Ok(m) => m,
        Err(e) => {
            errors.push(e.msg().at("mobile"));
            None
        }
    };
    let marked = |errors: &[Msg], field: &str| errors.iter().any(|m| m.field.as_deref() == Some(field));
    if by_email && email.is_none() && !marked(&errors, "email") {
        errors.push(
            Msg::new(
                "email_needed",
                "选择了邮件通知，请填写电子邮箱",
                "You chose messages by e-mail: give an e-mail address",
            )
            .at("email"),
        );
    }
    if by_sms && mobile.is_none() && !marked(&errors, "mobile") {
        errors.push(
            Msg::new(
                "mobile_needed",
                "选择了短信通知，请填写手机号码",
                "You chose messages by SMS: give a mobile number",
            )
            .at("mobile"),
        );
    }
    if errors.is_empty() {
        Ok((email, mobile))
    } else {
        Err(errors)
    }
}

/// A GB/T 2260 administrative region code (6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        if t.len() == 6 && t.bytes().all(|c| c.is_ascii_digit()) && !t.starts_with('0') {
            Ok(RegionCode(t.to_owned()))
        } else {
            Err(ValueError::RegionCode(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A case number: region code + acceptance date + daily sequence, e.g. `37010020260213000042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn new(region: &RegionCode, date: NaiveDate, sequence: u32) -> Option<Self> {
        (sequence > 0 && sequence <= 999_999).then(|| {
            CaseNumber(format!(
                "{}{}{:06}",
                region.as_str(),
                date.format("%Y%m%d"),
                sequence
            ))
        })
    }

    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        let err = || ValueError::CaseNumber(text.to_owned());
        if t.len() != 20 || !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        RegionCode::parse(&t[..6]).map_err(|_| err())?;
        NaiveDate::parse_from_str(&t[6..14], "%Y%m%d").map_err(|_| err())?;
        if &t[14..] == "000000" {
            return Err(err());
        }
        Ok(CaseNumber(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A code naming a catalog entry, department, process or user: `SCJG-0101`, `market`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        let ok = (2..=40).contains(&t.len())
            && t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.');
        if ok {
            Ok(Code(t.to_owned()))
        } else {
            Err(ValueError::Code(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($($t:ident),*) => {$(
        impl TryFrom<String> for $t {
            type Error = ValueError;
            fn try_from(s: String) -> Result<Self, ValueError> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $t {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                $t::parse(s)
            }
        }
    )*};
}
string_newtype_impls!(Uscc, ResidentId, Mobile, Email, RegionCode, CaseNumber, Code);

/// Who applies: a person by resident ID or an organisation by 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApplicantId {
    Person { id_number: ResidentId },
    Organisation { uscc: Uscc },
}

impl ApplicantId {
    /// Accepts either kind: 18 characters that check as a resident ID, else as a USCC.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        match ResidentId::parse(text) {
            Ok(id_number) => Ok(ApplicantId::Person { id_number }),
            Err(id_err) => match Uscc::parse(text) {
                Ok(uscc) => Ok(ApplicantId::Organisation { uscc }),
                // Digits only: the person most likely meant an ID number.
                Err(_) if text.trim().bytes().take(17).all(|c| c.is_ascii_digit()) => Err(id_err),
                Err(e) => Err(e),
            },
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ApplicantId::Person { id_number } => id_number.as_str(),
            ApplicantId::Organisation { uscc } => uscc.as_str(),
        }
    }

    pub fn masked(&self) -> String {
        match self {
            ApplicantId::Person { id_number } => id_number.masked(),
            // An organisation's code is public (it is printed on its business licence).
            ApplicantId::Organisation { uscc } => uscc.as_str().to_owned(),
        }
    }
}

/// Whether a character may appear in text a person sends: anything printable, and the tab, line feed
/// and carriage return of typed text. NUL and the other control characters never can: PostgreSQL
/// refuses NUL outright, and the rest only hide text from whoever reads it.
pub fn allowed_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// The first character a person's text may not carry, if any (see [`allowed_char`]).
pub fn forbidden_char(text: &str) -> Option<char> {
    text.chars().find(|c| !allowed_char(*c))
}

/// A file a case refers to: an upload stored by onego, written `/uploads/<id>`. Nothing else is a file
/// reference — no outside address, no `javascript:` — so a link drawn from one always stays on onego's
/// own access-checked download. Which uploads an actor may refer to is checked where uploads are known
/// (the engine): their own, not yet tied to another case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileRef(i64);

impl FileRef {
    pub fn new(upload_id: i64) -> FileRef {
        FileRef(upload_id)
    }

    pub fn upload_id(self) -> i64 {
        self.0
    }

    pub fn parse(text: &str) -> Result<FileRef, ValueError> {
        text.trim()
            .strip_prefix("/uploads/")
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map(FileRef)
            .ok_or_else(|| ValueError::FileRef(text.chars().take(80).collect()))
    }
}

impl fmt::Display for FileRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/uploads/{}", self.0)
    }
}

impl TryFrom<String> for FileRef {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        FileRef::parse(&s)
    }
}

impl From<FileRef> for String {
    fn from(f: FileRef) -> String {
        f.to_string()
    }
}
