//! An electronic certificate as GB/T 36901–36905 describe it, and what may happen to it: issued (sealed),
//! used with a reason (用证事由), suspended and reinstated, revoked, expired. An aggregate like a case:
//! the engine journals every entry in the hash chain.
//!
//! What is sealed is the certificate's content (identifier, type, number, holder, issuer, dates, region,
//! related certificates, business data) as canonical JSON bytes, kept verbatim in `signed_content` so
//! anyone can check the seal without onego. Status is not sealed: it changes, and is answered by the
//! issuer's status query (`/verify/{identifier}`).

use chrono::NaiveDate;
use onego_calendar::Timestamp;
use serde::{Deserialize, Serialize};

use super::identifier::CertificateId;
use super::seal;
use crate::messages::Msg;
use crate::org::{Actor, Role};
use crate::values::{ApplicantId, Code};

/// The longest reason for a use (用证事由), in characters.
pub const MAX_REASON: usize = 200;

/// Where a certificate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    Valid,
    Suspended,
    Revoked,
    Expired,
}

impl CertificateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Suspended => "suspended",
            CertificateStatus::Revoked => "revoked",
            CertificateStatus::Expired => "expired",
        }
    }
}

/// The holder's code type as GB/T 36902 numbers it: 111 居民身份证, 001 统一社会信用代码.
pub fn holder_code_type(holder: &ApplicantId) -> &'static str {
    match holder {
        ApplicantId::Person { .. } => "111",
        ApplicantId::Organisation { .. } => "001",
    }
}

/// The content that is sealed: everything a certificate says about itself except its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// 电子证照标识 (GB/T 36904), as printed.
    pub identifier: String,
    /// 证照类型名称 and 证照类型代码.
    pub type_name: String,
    pub type_code: String,
    /// 证照编号: the number printed on the certificate.
    pub number: String,
    /// 持证主体, its code and code type (111 / 001).
    pub holder_name: String,
    pub holder_code: String,
    pub holder_code_type: String,
    /// 颁发机构 and its code (统一社会信用代码 or region code).
    pub issuer_name: String,
    pub issuer_code: String,
    /// 颁发日期; 有效期起始 and 截止 (none: without end).
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    /// 属地: the GB/T 2260 region code.
    pub region: String,
    /// 关联证照标识.
    #[serde(default)]
    pub related: Vec<String>,
    /// 业务信息: the data of the certificate's type.
    pub data: serde_json::Value,
}

impl Content {
    /// The exact bytes sealed: the content as JSON with its fields in declaration order and the
    /// business data's keys sorted (serde_json's map), so the same content always gives the same bytes.
    pub fn to_signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("content serialises")
    }
}

/// The seal on a certificate as its JSON carries it (see [`seal`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealRecord {
    /// base64 of the exact bytes signed.
    pub signed_content: String,
    /// hex r‖s.
    pub signature: String,
    /// hex 04‖x‖y of the issuing body's key.
    pub public_key: String,
}

/// An electronic certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub id: i64,
    #[serde(default)]
    pub version: u64,
    pub content: Content,
    /// The holder as onego knows applicants (for access and lookup).
    pub holder: ApplicantId,
    /// The department that issued it (and may suspend or revoke it).
    pub department: Code,
    pub status: CertificateStatus,
    pub seal: SealRecord,
    /// The case whose decision issued it, if any.
    pub case_id: Option<i64>,
    pub issued_at: Timestamp,
    /// Uses so far (each is a journal entry with its reason).
    #[serde(default)]
    pub uses: u64,
    /// Its holder is reminded before it expires (licences; not data records, which their provider
    /// renews) and, for a business licence, of the annual report.
    #[serde(default)]
    pub reminders: Reminders,
}

/// What onego reminds a holder of (云提醒), and what it already did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Reminders {
    /// Remind before the end of validity, this many days ahead, each once (e.g. 90, 30, 7).
    #[serde(default)]
    pub before_expiry: Vec<u32>,
    /// Remind of the annual report (企业年报, due 30 June each year).
    #[serde(default)]
    pub annual_report: bool,
    /// The smallest number of days ahead already reminded of.
    #[serde(default)]
    pub expiry_reminded: Option<u32>,
    /// The last year whose annual report was reminded of.
    #[serde(default)]
    pub annual_reminded: Option<i32>,
    /// The application that renews it (延续 / 换证), offered with the reminder.
    #[serde(default)]
    pub renewal_item: Option<String>,
}

/// The day of the year the annual report reminder goes out: a month before the 30 June deadline.
pub const ANNUAL_REPORT_REMINDER: (u32, u32) = (6, 1);

impl Reminders {
    /// The next expiry reminder still to send for a certificate valid to `until`: the number of days
    /// ahead and the day to send it. Thresholds already passed collapse into the nearest one.
    pub fn next_expiry(&self, until: NaiveDate) -> Option<(u32, NaiveDate)> {
        let mut pending: Vec<u32> = self
            .before_expiry
            .iter()
            .copied()
            .filter(|d| self.expiry_reminded.is_none_or(|r| *d < r))
            .collect();
        pending.sort_unstable_by(|a, b| b.cmp(a));
        let days = *pending.first()?;
        Some((days, until - chrono::Days::new(u64::from(days))))
    }

    /// The year of the next annual report reminder for a certificate issued on `issued`: the year
    /// after its issue (the first report covers the year of registration), then every year.
    pub fn next_annual(&self, issued: NaiveDate) -> Option<(i32, NaiveDate)> {
        if !self.annual_report {
            return None;
        }
        use chrono::Datelike;
        let year = self
            .annual_reminded
            .map_or(issued.year() + 1, |y| y + 1)
            .max(issued.year() + 1);
        let (m, d) = ANNUAL_REPORT_REMINDER;
        Some((year, NaiveDate::from_ymd_opt(year, m, d)?))
    }
}

/// One journal entry of a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub event: CertificateEvent,
}

/// What happened to a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CertificateEvent {
    /// Issued and sealed.
    Issued,
    /// Used (用证): by whom is the entry's actor; for which case, and why.
    Used {
        reason: String,
        case_id: Option<i64>,
    },
    /// The holder was reminded that it ends on `until`, `days` days ahead (云提醒).
    ExpiryReminded {
        days: u32,
        until: NaiveDate,
    },
    /// The holder was reminded of the annual report of `year` (for the year before).
    AnnualReportReminded {
        year: i32,
    },
    Suspended {
        reason: String,
    },
    Reinstated {
        reason: String,
    },
    Revoked {
        reason: String,
    },
    /// Its validity ended (a timer's entry).
    Expired,
}

impl CertificateEvent {
    /// The journal's action code.
    pub fn action(&self) -> &'static str {
        match self {
            CertificateEvent::Issued => "issue",
            CertificateEvent::Used { .. } => "use",
            CertificateEvent::ExpiryReminded { .. } => "remind_expiry",
            CertificateEvent::AnnualReportReminded { .. } => "remind_annual_report",
            CertificateEvent::Suspended { .. } => "suspend",
            CertificateEvent::Reinstated { .. } => "reinstate",
            CertificateEvent::Revoked { .. } => "revoke",
            CertificateEvent::Expired => "expire",
        }
    }

    /// The words a person wrote with it.
    pub fn opinion(&self) -> Option<&str> {
        match self {
            CertificateEvent::Used { reason, .. }
            | CertificateEvent::Suspended { reason }
            | CertificateEvent::Reinstated { reason }
            | CertificateEvent::Revoked { reason } => Some(reason),
            CertificateEvent::Issued
            | CertificateEvent::Expired
            | CertificateEvent::ExpiryReminded { .. }
            | CertificateEvent::AnnualReportReminded { .. } => None,
        }
    }
}

/// What is asked of a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CertificateCommand {
    /// Use it as a material or as proof (用证), with the reason.
    Use {
        reason: String,
        #[serde(default)]
        case_id: Option<i64>,
    },
    Suspend {
        reason: String,
    },
    Reinstate {
        reason: String,
    },
    Revoke {
        reason: String,
    },
    /// Its validity has ended (onego's own timer; never sent by a person).
    Expire,
    /// Remind the holder of what is due (onego's own timer): the end of validity, the annual report.
    Remind,
}

/// Why a command on a certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("only the holder, or staff acting for a case with the holder's consent, may use a certificate")]
    NotYoursToUse,
    #[error("only the issuing department may suspend, reinstate or revoke its certificates")]
    NotTheIssuer,
    #[error("give the reason (at most 200 characters)")]
    Reason,
    #[error("the certificate is {0}: it cannot be used")]
    NotUsable(&'static str),
    #[error("the certificate is {0}, so this cannot be done to it")]
    WrongState(&'static str),
    #[error("clocks are onego's own: expiry is not a person's command")]
    SystemOnly,
}

impl CertificateError {
    pub fn msg(&self) -> Msg {
        let en = self.to_string();
        let zh = match self {
            CertificateError::NotYoursToUse => {
                "只有持证人本人，或经持证人同意为其办件的工作人员，才能用证".to_owned()
            }
            CertificateError::NotTheIssuer => "只有发证部门才能暂停、恢复或注销其证照".to_owned(),
            CertificateError::Reason => "请填写事由（不超过200字）".to_owned(),
            CertificateError::NotUsable(s) => format!("该证照{}，不能使用", status_zh(s)),
            CertificateError::WrongState(s) => format!("该证照{}，不能进行此操作", status_zh(s)),
            CertificateError::SystemOnly => "到期由系统自动处理，不能手工操作".to_owned(),
        };
        Msg::new("certificate_refused", zh, en)
    }
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "suspended" => "已暂停",
        "revoked" => "已注销",
        "expired" => "已过期",
        _ => "有效",
    }
}

fn reason(text: &str) -> Result<String, CertificateError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_REASON {
        return Err(CertificateError::Reason);
    }
    Ok(t.to_owned())
}

impl Certificate {
    /// A new certificate sealed with the issuing body's private key.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        id: i64,
        content: Content,
        holder: ApplicantId,
        department: Code,
        secret: &[u8; 32],
        case_id: Option<i64>,
        at: Timestamp,
        by: &Actor,
    ) -> Result<(Certificate, CertificateEntry), seal::SealError> {
        let bytes = content.to_signed_bytes();
        let s = seal::sign(secret, &bytes)?;
        let cert = Certificate {
            id,
            version: 0,
            content,
            holder,
            department,
            status: CertificateStatus::Valid,
            seal: SealRecord {
                signed_content: base64(&bytes),
                signature: s.signature,
                public_key: s.public_key,
            },
            case_id,
            issued_at: at,
            uses: 0,
            reminders: Reminders::default(),
        };
        let entry = CertificateEntry {
            at,
            actor: by.clone(),
            event: CertificateEvent::Issued,
        };
        Ok((cert, entry))
    }

    /// The certificate as a document anyone can check without onego: the content's fields, the status,
    /// and the seal (`signed_content` base64 of the exact bytes signed, `signature` hex r‖s,
    /// `public_key` hex 04‖x‖y, `signature_algorithm` and the SM2 user ID).
    pub fn document(&self) -> serde_json::Value {
        let mut doc = serde_json::to_value(&self.content).expect("content serialises");
        if let Some(o) = doc.as_object_mut() {
            o.insert("status".into(), self.status.as_str().into());
            o.insert("signed_content".into(), self.seal.signed_content.clone().into());
            o.insert("signature".into(), self.seal.signature.clone().into());
            o.insert("public_key".into(), self.seal.public_key.clone().into());
            o.insert("signature_algorithm".into(), "SM2-SM3".into());
            o.insert("sm2_user_id".into(), seal::DEFAULT_ID.into());
        }
        doc
    }

    /// The identifier, parsed (it was checked when issued).
    pub fn identifier(&self) -> Option<CertificateId> {
        CertificateId::parse(&self.content.identifier).ok()
    }

    /// Whether the seal holds over the content as it stands: the signed bytes are this content's bytes,
    /// and the signature verifies under the recorded key.
    pub fn seal_holds(&self) -> Result<(), seal::SealError> {
        let bytes = unbase64(&self.seal.signed_content).ok_or(seal::SealError::Mismatch)?;
        if bytes != self.content.to_signed_bytes() {
            return Err(seal::SealError::Mismatch);
        }
        seal::verify(&self.seal.public_key, &bytes, &self.seal.signature)
    }

    /// Whether it may serve today: valid, and its last valid day not passed (the expiry timer may not
    /// have fired yet).
    pub fn usable_on(&self, today: NaiveDate) -> bool {
        self.status == CertificateStatus::Valid && self.content.valid_until.is_none_or(|d| d >= today)
    }

    /// Whether `actor` may see it in full: the holder and the issuing department's staff. Nobody else,
    /// administrators included (they run onego, not the licences); anyone may check it publicly
    /// through its identifier, with the holder masked.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match actor.role {
            Role::Applicant => actor.applicant.as_ref() == Some(&self.holder),
            Role::System => true,
            Role::Approver | Role::Supervisor | Role::Clerk => {
                actor.department.as_ref() == Some(&self.department)
            }
            _ => false,
        }
    }

    /// Decides a command at `at` (whose local date is `today`): the entries it makes, or why not.
    pub fn decide(
        &self,
        actor: &Actor,
        cmd: &CertificateCommand,
        at: Timestamp,
        today: NaiveDate,
    ) -> Result<Vec<CertificateEntry>, CertificateError> {
        let entry = |event| {
            Ok(vec![CertificateEntry {
                at,
                actor: actor.clone(),
                event,
            }])
        };
        let issuer = actor.role == Role::System
            || (matches!(actor.role, Role::Approver | Role::Supervisor)
                && actor.department.as_ref() == Some(&self.department));
        match cmd {
            CertificateCommand::Use { reason: r, case_id } => {
                // The holder uses it; staff use it for a case (the caller checks the holder's consent
                // on that case before sending the command).
                let may = match actor.role {
                    Role::Applicant => actor.applicant.as_ref() == Some(&self.holder),
                    Role::Clerk | Role::Approver | Role::Supervisor | Role::System => case_id.is_some(),
                    _ => false,
                };
                if !may {
                    return Err(CertificateError::NotYoursToUse);
                }
                let r = reason(r)?;
                if self.status != CertificateStatus::Valid {
                    return Err(CertificateError::NotUsable(self.status.as_str()));
                }
                entry(CertificateEvent::Used {
                    reason: r,
                    case_id: *case_id,
                })
            }
            CertificateCommand::Suspend { reason: r } => {
                if !issuer {
                    return Err(CertificateError::NotTheIssuer);
                }
                let r = reason(r)?;
                if self.status != CertificateStatus::Valid {
                    return Err(CertificateError::WrongState(self.status.as_str()));
                }
                entry(CertificateEvent::Suspended { reason: r })
            }
            CertificateCommand::Reinstate { reason: r } => {
                if !issuer {
                    return Err(CertificateError::NotTheIssuer);
                }
                let r = reason(r)?;
                if self.status != CertificateStatus::Suspended {
                    return Err(CertificateError::WrongState(self.status.as_str()));
                }
                entry(CertificateEvent::Reinstated { reason: r })
            }
            CertificateCommand::Revoke { reason: r } => {
                if !issuer {
                    return Err(CertificateError::NotTheIssuer);
                }
                let r = reason(r)?;
                if matches!(self.status, CertificateStatus::Revoked) {
                    return Err(CertificateError::WrongState(self.status.as_str()));
                }
                entry(CertificateEvent::Revoked { reason: r })
            }
            CertificateCommand::Remind => {
                if actor.role != Role::System {
                    return Err(CertificateError::SystemOnly);
                }
                let mut out = Vec::new();
                if self.status == CertificateStatus::Valid
                    && let Some(until) = self.content.valid_until
                    && let Some((_, from)) = self.reminders.next_expiry(until)
                    && today >= from
                    && today <= until
                {
                    // Thresholds passed meanwhile collapse into the nearest one ahead.
                    let left = (until - today).num_days().max(0) as u32;
                    let days = self
                        .reminders
                        .before_expiry
                        .iter()
                        .copied()
                        .filter(|d| *d >= left)
                        .min()
                        .unwrap_or(left);
                    out.push(CertificateEntry {
                        at,
                        actor: actor.clone(),
                        event: CertificateEvent::ExpiryReminded { days, until },
                    });
                }
                if self.status == CertificateStatus::Valid
                    && let Some((year, from)) = self.reminders.next_annual(self.content.issued_on)
                    && today >= from
                {
                    out.push(CertificateEntry {
                        at,
                        actor: actor.clone(),
                        event: CertificateEvent::AnnualReportReminded { year },
                    });
                }
                Ok(out)
            }
            CertificateCommand::Expire => {
                if actor.role != Role::System {
                    return Err(CertificateError::SystemOnly);
                }
                // Only a valid or suspended certificate expires; its end date must have come.
                let ended = self.content.valid_until.is_some_and(|d| d < today);
                if !ended
                    || matches!(
                        self.status,
                        CertificateStatus::Revoked | CertificateStatus::Expired
                    )
                {
                    return Ok(vec![]);
                }
                entry(CertificateEvent::Expired)
            }
        }
    }

    /// Applies an entry.
    pub fn apply(&mut self, e: &CertificateEntry) {
        match &e.event {
            CertificateEvent::Issued => self.status = CertificateStatus::Valid,
            CertificateEvent::Used { .. } => self.uses += 1,
            CertificateEvent::ExpiryReminded { days, .. } => self.reminders.expiry_reminded = Some(*days),
            CertificateEvent::AnnualReportReminded { year } => self.reminders.annual_reminded = Some(*year),
            CertificateEvent::Suspended { .. } => self.status = CertificateStatus::Suspended,
            CertificateEvent::Reinstated { .. } => self.status = CertificateStatus::Valid,
            CertificateEvent::Revoked { .. } => self.status = CertificateStatus::Revoked,
            CertificateEvent::Expired => self.status = CertificateStatus::Expired,
        }
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648), as `signed_content` is carried.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 with padding; `None` when it is not.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().as_bytes();
    if !t.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    for chunk in t.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for (i, c) in chunk.iter().enumerate() {
            let v = match c {
                b'=' if i >= 2 => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return None,
                _ => B64.iter().position(|b| b == c)? as u32,
            };
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{ResidentId, Uscc};

    const SECRET: [u8; 32] = [
        0x39, 0x45, 0x20, 0x8f, 0x7b, 0x21, 0x44, 0xb1, 0x3f, 0x36, 0xe3, 0x8a, 0xc6, 0xd3, 0x9f, 0x95, 0x88,
        0x93, 0x93, 0x69, 0x28, 0x60, 0xb5, 0x1a, 0x42, 0xfb, 0x81, 0xef, 0x4d, 0xf7, 0xc5, 0xb8,
    ];

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn actor(role: Role, dept: Option<&str>, applicant: Option<ApplicantId>) -> Actor {
        Actor {
            user_id: 7,
            username: "u".into(),
            name: "某某".into(),
            role,
            department: dept.map(|d| Code::parse(d).expect("code")),
            applicant,
            mandates: Vec::new(),
        }
    }

    fn company() -> ApplicantId {
        ApplicantId::Organisation {
            uscc: Uscc::parse("11370800MB28559184").expect("uscc"),
        }
    }

    fn licence() -> (Certificate, Actor) {
        let id =
            CertificateId::new("11100000000013338W011", "11370800MB28559184", "20260000001", 1).expect("id");
        let holder = company();
        let content = Content {
            identifier: id.to_string(),
            type_name: "营业执照".into(),
            type_code: id.type_code().into(),
            number: "91371700MA3C000001".into(),
            holder_name: "菏泽云帆科技有限公司".into(),
            holder_code: holder.as_str().into(),
            holder_code_type: holder_code_type(&holder).into(),
            issuer_name: "菏泽市市场监督管理局".into(),
            issuer_code: "11370800MB28559184".into(),
            issued_on: day("2026-03-02"),
            valid_from: day("2026-03-02"),
            valid_until: Some(day("2046-03-01")),
            region: "371700".into(),
            related: vec![],
            data: serde_json::json!({"住所": "菏泽市牡丹区中华路1号", "法定代表人": "王明"}),
        };
        let by = actor(Role::System, None, None);
        let (mut c, e) = Certificate::issue(
            101,
            content,
            holder,
            Code::parse("market").expect("code"),
            &SECRET,
            Some(5),
            Timestamp::from_millis(1_772_400_000_000),
            &by,
        )
        .expect("issued");
        c.apply(&e);
        (c, by)
    }

    #[test]
    fn base64_is_the_standard_alphabet_with_padding() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64("证照".as_bytes()), "6K+B54Wn");
        for s in ["", "M", "Ma", "Man", "证照 data"] {
            assert_eq!(unbase64(&base64(s.as_bytes())).as_deref(), Some(s.as_bytes()));
        }
        assert_eq!(unbase64("TQ="), None);
        assert_eq!(unbase64("T=Q="), None);
        assert_eq!(unbase64("TQ$="), None);
    }

    #[test]
    fn an_issued_certificate_is_sealed_and_any_change_to_its_content_breaks_the_seal() {
        let (c, _) = licence();
        assert_eq!(c.status, CertificateStatus::Valid);
        c.seal_holds().expect("sealed");
        assert_eq!(
            unbase64(&c.seal.signed_content),
            Some(c.content.to_signed_bytes())
        );
        assert_eq!(c.content.holder_code_type, "001");
        assert!(c.identifier().is_some());
        let mut forged = c.clone();
        forged.content.valid_until = Some(day("2099-12-31"));
        assert_eq!(forged.seal_holds(), Err(seal::SealError::Mismatch));
        let mut forged = c.clone();
        forged.content.data["法定代表人"] = "李四".into();
        assert_eq!(forged.seal_holds(), Err(seal::SealError::Mismatch));
    }

    #[test]
    fn a_use_needs_the_holder_or_a_case_and_a_reason_and_a_valid_certificate() {
        let (mut c, _) = licence();
        let at = Timestamp::from_millis(1_772_500_000_000);
        let today = day("2026-03-03");
        let holder = actor(Role::Applicant, None, Some(company()));
        let use_for = |reason: &str, case_id| CertificateCommand::Use {
            reason: reason.into(),
            case_id,
        };
        let e = c
            .decide(&holder, &use_for("开办餐饮店", Some(9)), at, today)
            .expect("used");
        c.apply(&e[0]);
        assert_eq!(c.uses, 1);
        assert_eq!(
            c.decide(&holder, &use_for("  ", None), at, today),
            Err(CertificateError::Reason)
        );
        assert_eq!(
            c.decide(&holder, &use_for(&"长".repeat(201), None), at, today),
            Err(CertificateError::Reason)
        );
        let stranger = actor(
            Role::Applicant,
            None,
            Some(ApplicantId::Person {
                id_number: ResidentId::parse("110105198001010016").expect("id"),
            }),
        );
        assert_eq!(
            c.decide(&stranger, &use_for("核验", None), at, today),
            Err(CertificateError::NotYoursToUse)
        );
        let clerk = actor(Role::Clerk, None, None);
        assert_eq!(
            c.decide(&clerk, &use_for("窗口核验", None), at, today),
            Err(CertificateError::NotYoursToUse)
        );
        assert!(c.decide(&clerk, &use_for("窗口核验", Some(9)), at, today).is_ok());
        assert_eq!(
            c.decide(
                &actor(Role::Leader, None, None),
                &use_for("查看", Some(9)),
                at,
                today
            ),
            Err(CertificateError::NotYoursToUse)
        );
    }

    #[test]
    fn only_the_issuing_department_suspends_reinstates_and_revokes_and_a_suspended_one_is_not_used() {
        let (mut c, _) = licence();
        let at = Timestamp::from_millis(1_772_500_000_000);
        let today = day("2026-03-03");
        let market = actor(Role::Supervisor, Some("market"), None);
        let tax = actor(Role::Supervisor, Some("tax"), None);
        let suspend = CertificateCommand::Suspend {
            reason: "经营场所核查中".into(),
        };
        assert_eq!(
            c.decide(&tax, &suspend, at, today),
            Err(CertificateError::NotTheIssuer)
        );
        let e = c.decide(&market, &suspend, at, today).expect("suspended");
        c.apply(&e[0]);
        assert_eq!(c.status, CertificateStatus::Suspended);
        let holder = actor(Role::Applicant, None, Some(company()));
        let using = CertificateCommand::Use {
            reason: "开办餐饮店".into(),
            case_id: None,
        };
        assert_eq!(
            c.decide(&holder, &using, at, today),
            Err(CertificateError::NotUsable("suspended"))
        );
        assert!(
            c.decide(&holder, &using, at, today)
                .expect_err("refused")
                .msg()
                .zh
                .contains("已暂停")
        );
        let e = c
            .decide(
                &market,
                &CertificateCommand::Reinstate {
                    reason: "核查无误".into(),
                },
                at,
                today,
            )
            .expect("reinstated");
        c.apply(&e[0]);
        let revoke = CertificateCommand::Revoke {
            reason: "依法吊销".into(),
        };
        let e = c.decide(&market, &revoke, at, today).expect("revoked");
        c.apply(&e[0]);
        assert_eq!(c.status, CertificateStatus::Revoked);
        assert_eq!(
            c.decide(&market, &revoke, at, today),
            Err(CertificateError::WrongState("revoked"))
        );
    }

    #[test]
    fn a_certificate_expires_by_onegos_timer_after_its_last_day_only() {
        let (mut c, system) = licence();
        let at = Timestamp::from_millis(1_772_500_000_000);
        let person = actor(Role::Supervisor, Some("market"), None);
        assert_eq!(
            c.decide(&person, &CertificateCommand::Expire, at, day("2050-01-01")),
            Err(CertificateError::SystemOnly)
        );
        assert_eq!(
            c.decide(&system, &CertificateCommand::Expire, at, day("2046-03-01")),
            Ok(vec![]),
            "the last day is still valid"
        );
        let e = c
            .decide(&system, &CertificateCommand::Expire, at, day("2046-03-02"))
            .expect("expired");
        c.apply(&e[0]);
        assert_eq!(c.status, CertificateStatus::Expired);
    }

    #[test]
    fn the_holder_and_the_issuing_department_see_it_and_nobody_else() {
        let (c, _) = licence();
        assert!(c.visible_to(&actor(Role::Applicant, None, Some(company()))));
        assert!(c.visible_to(&actor(Role::Approver, Some("market"), None)));
        assert!(!c.visible_to(&actor(Role::Admin, None, None)));
        assert!(!c.visible_to(&actor(Role::Approver, Some("tax"), None)));
        assert!(!c.visible_to(&actor(Role::Leader, None, None)));
        assert!(!c.visible_to(&actor(Role::Clerk, None, None)));
        assert!(!c.visible_to(&actor(Role::Applicant, None, None)));
    }
}
