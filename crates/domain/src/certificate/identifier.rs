//! The certificate identifier of GB/T 36904 (电子证照标识):
//! `1.2.156.3005.2.{证照类型代码}.{颁发机构代码}.{流水号}.{版本号}.{校验位}`.
//!
//! - 证照类型代码: the defining body's 统一社会信用代码 and a three-digit number (21 characters);
//! - 颁发机构代码: the issuing body's 统一社会信用代码 (18) or, for a region-wide issuer, its region code (6);
//! - 流水号: the issuer's serial; 版本号: three digits;
//! - 校验位: ISO/IEC 7064 MOD 37,36 over type + issuer + serial + version, digits and capital letters.
//!
//! The parts are checked for their alphabet and the check character, not more: identifiers in use vary
//! in their serials' length (9 to 11 characters in the wild), and the check character catches typing
//! mistakes whatever the lengths.

use std::fmt;

use crate::messages::Msg;

/// The object-identifier arc of Chinese electronic certificates.
pub const PREFIX: &str = "1.2.156.3005.2.";

/// The alphabet of ISO/IEC 7064 MOD 37,36: a character's value is its position.
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// ISO/IEC 7064 MOD 37,36 (a hybrid system, M = 36): the check character of `text`, or `None` when a
/// character is not a digit or a capital letter.
pub fn check_character(text: &str) -> Option<char> {
    const M: u32 = 36;
    let mut p = M;
    for b in text.bytes() {
        let a = ALPHABET.iter().position(|c| *c == b)? as u32;
        let mut s = (p + a) % M;
        if s == 0 {
            s = M;
        }
        p = (s * 2) % (M + 1);
    }
    Some(ALPHABET[((M + 1 - p) % M) as usize] as char)
}

/// A valid certificate identifier: its parts, each checked, and its check character right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertificateId {
    type_code: String,
    issuer: String,
    serial: String,
    version: String,
}

/// Why an identifier does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a certificate identifier begins with 1.2.156.3005.2.")]
    Prefix,
    #[error(
        "a certificate identifier has five parts after 1.2.156.3005.2. (type, issuer, serial, version, check character); this one has {0}"
    )]
    Parts(usize),
    #[error("the {0} is empty")]
    Empty(Part),
    #[error("the {0} may hold only digits and capital letters")]
    Alphabet(Part),
    #[error(
        "the certificate type code has 21 characters (the defining body's code and three digits); this one has {0}"
    )]
    TypeLength(usize),
    #[error("the version is three digits, such as 001")]
    Version,
    #[error(
        "the check character is {given}, but the identifier's parts give {expected}: a character is mistyped or the identifier was altered"
    )]
    Check { given: char, expected: char },
}

/// A part of an identifier, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Type,
    Issuer,
    Serial,
    Version,
    Check,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en())
    }
}

impl Part {
    fn en(self) -> &'static str {
        match self {
            Part::Type => "certificate type code",
            Part::Issuer => "issuing body's code",
            Part::Serial => "serial number",
            Part::Version => "version",
            Part::Check => "check character",
        }
    }
    fn zh(self) -> &'static str {
        match self {
            Part::Type => "证照类型代码",
            Part::Issuer => "颁发机构代码",
            Part::Serial => "流水号",
            Part::Version => "版本号",
            Part::Check => "校验位",
        }
    }
}

impl IdError {
    /// The message for a person, in both languages.
    pub fn msg(&self) -> Msg {
        let en = self.to_string();
        let zh = match self {
            IdError::Prefix => "电子证照标识应以 1.2.156.3005.2. 开头".to_owned(),
            IdError::Parts(n) => format!(
                "电子证照标识在 1.2.156.3005.2. 之后应有五段（类型代码、颁发机构代码、流水号、版本号、校验位），此标识有 {n} 段"
            ),
            IdError::Empty(p) => format!("{}为空", p.zh()),
            IdError::Alphabet(p) => format!("{}只能包含数字和大写字母", p.zh()),
            IdError::TypeLength(n) => {
                format!("证照类型代码应为21位（定义机构的统一社会信用代码加3位数字），此处为 {n} 位")
            }
            IdError::Version => "版本号应为3位数字，例如 001".to_owned(),
            IdError::Check { given, expected } => {
                format!("校验位为 {given}，按标识各段计算应为 {expected}：可能有字符输错，或标识被篡改")
            }
        };
        Msg::new("certificate_id_invalid", zh, en)
    }
}

fn alphanumeric(part: Part, s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty(part));
    }
    if !s.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err(IdError::Alphabet(part));
    }
    Ok(())
}

impl CertificateId {
    /// A new identifier from its parts; the check character is computed.
    pub fn new(type_code: &str, issuer: &str, serial: &str, version: u16) -> Result<CertificateId, IdError> {
        let id = CertificateId {
            type_code: type_code.to_owned(),
            issuer: issuer.to_owned(),
            serial: serial.to_owned(),
            version: format!("{version:03}"),
        };
        id.check_parts()?;
        Ok(id)
    }

    /// Reads and checks an identifier as printed (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<CertificateId, IdError> {
        let rest = text.trim().strip_prefix(PREFIX).ok_or(IdError::Prefix)?;
        let parts: Vec<&str> = rest.split('.').collect();
        let [type_code, issuer, serial, version, check] = parts[..] else {
            return Err(IdError::Parts(parts.len()));
        };
        let id = CertificateId {
            type_code: type_code.to_owned(),
            issuer: issuer.to_owned(),
            serial: serial.to_owned(),
            version: version.to_owned(),
        };
        id.check_parts()?;
        alphanumeric(Part::Check, check)?;
        let given = match check.as_bytes() {
            [c] => *c as char,
            _ => return Err(IdError::Alphabet(Part::Check)),
        };
        let expected = id.check();
        if given != expected {
            return Err(IdError::Check { given, expected });
        }
        Ok(id)
    }

    fn check_parts(&self) -> Result<(), IdError> {
        alphanumeric(Part::Type, &self.type_code)?;
        alphanumeric(Part::Issuer, &self.issuer)?;
        alphanumeric(Part::Serial, &self.serial)?;
        if self.type_code.len() != 21 {
            return Err(IdError::TypeLength(self.type_code.len()));
        }
        if self.version.len() != 3 || !self.version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IdError::Version);
        }
        Ok(())
    }

    /// The check character of this identifier's parts.
    pub fn check(&self) -> char {
        check_character(&format!(
            "{}{}{}{}",
            self.type_code, self.issuer, self.serial, self.version
        ))
        .expect("parts are checked for their alphabet")
    }

    pub fn type_code(&self) -> &str {
        &self.type_code
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn serial(&self) -> &str {
        &self.serial
    }
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}.{}.{}.{}.{}",
            self.type_code,
            self.issuer,
            self.serial,
            self.version,
            self.check()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identifiers of certificates issued in China, as printed on them (docs: research, GB/T 36904).
    const REAL: [&str; 3] = [
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
    ];

    #[test]
    fn real_identifiers_check_and_print_back_the_same() {
        for text in REAL {
            let id = CertificateId::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(id.to_string(), text);
        }
        let id = CertificateId::parse(REAL[2]).expect("valid");
        assert_eq!(
            (id.type_code(), id.issuer(), id.serial(), id.version()),
            ("11100000MB03271699022", "340100", "000000016", "001")
        );
    }

    #[test]
    fn every_single_character_change_is_caught() {
        // MOD 37,36 catches every single substitution: try each position of each real identifier.
        for text in REAL {
            let body = text.strip_prefix(PREFIX).expect("prefix");
            for (i, b) in body.bytes().enumerate() {
                if b == b'.' {
                    continue;
                }
                for c in ALPHABET.iter().filter(|c| **c != b) {
                    let mut changed = body.as_bytes().to_vec();
                    changed[i] = *c;
                    let changed = format!("{PREFIX}{}", String::from_utf8(changed).expect("ascii"));
                    assert!(CertificateId::parse(&changed).is_err(), "{changed} passed");
                }
            }
        }
    }

    #[test]
    fn a_wrong_identifier_says_what_is_wrong() {
        let e = CertificateId::parse("1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.8")
            .expect_err("check");
        assert_eq!(
            e,
            IdError::Check {
                given: '8',
                expected: '9'
            }
        );
        assert!(e.msg().zh.contains("应为 9"));
        assert_eq!(CertificateId::parse("1.2.156.3005.1.x"), Err(IdError::Prefix));
        assert_eq!(
            CertificateId::parse("1.2.156.3005.2.A.B.C"),
            Err(IdError::Parts(3))
        );
        assert_eq!(
            CertificateId::parse("1.2.156.3005.2.11100000mb03271699022.340100.000000016.001.9"),
            Err(IdError::Alphabet(Part::Type))
        );
        assert_eq!(
            CertificateId::parse("1.2.156.3005.2.11100000MB03271699022.340100.000000016.1.9"),
            Err(IdError::Version)
        );
        assert_eq!(
            CertificateId::parse("1.2.156.3005.2.11100000MB0327169902.340100.000000016.001.9"),
            Err(IdError::TypeLength(20))
        );
        assert_eq!(
            CertificateId::parse("1.2.156.3005.2.11100000MB03271699022..000000016.001.9"),
            Err(IdError::Empty(Part::Issuer))
        );
    }

    #[test]
    fn a_new_identifier_gets_its_check_character() {
        let id = CertificateId::new("11100000MB03271699022", "340100", "000000016", 1).expect("valid");
        assert_eq!(id.to_string(), REAL[2]);
        assert!(CertificateId::new("1110", "340100", "1", 1).is_err());
    }
}
