//! Personal data shown to people who may not see it in full: one set of masking rules for every output
//! (JSON API, pages, Open311, notices, exports). Whether a viewer may see it is the policy's question
//! (`policy::sees_personal_data`, `policy::sees_requester`); how it is hidden is answered here.
//!
//! What counts as personal: a person's name, resident ID number, mobile number, and what they wrote in
//! an application form. An organisation's name and 统一社会信用代码 are public (printed on its licence).

use serde_json::Value;

use crate::org::Role;
use crate::values::{ApplicantId, Email, Mobile};

/// `张三丰` → `张**`: enough to recognise, not to identify.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// A mobile number as `138****5678`; anything else that looks like digits keeps only its ends.
pub fn mask_phone(phone: &str) -> String {
    match Mobile::parse(phone) {
        Ok(m) => m.masked(),
        Err(_) => {
            let chars: Vec<char> = phone.chars().collect();
            if chars.len() <= 4 {
                "*".repeat(chars.len())
            } else {
                format!(
                    "{}{}{}",
                    chars[..2].iter().collect::<String>(),
                    "*".repeat(chars.len() - 4),
                    chars[chars.len() - 2..].iter().collect::<String>()
                )
            }
        }
    }
}

/// An e-mail address as `w***@example.com`; anything unparsable is hidden whole.
pub fn mask_email(email: &str) -> String {
    match Email::parse(email) {
        Ok(e) => e.masked(),
        Err(_) => "***".to_owned(),
    }
}

/// A message recipient (an e-mail address or a mobile number), masked by what it is.
pub fn mask_contact(to: &str) -> String {
    if to.contains('@') {
        mask_email(to)
    } else {
        mask_phone(to)
    }
}

/// An applicant's ID as a viewer without need sees it: a person's masked, an organisation's as is.
pub fn mask_applicant_id(id: &ApplicantId) -> String {
    id.masked()
}

/// An applicant's name as a viewer without need sees it: a person's masked, an organisation's as is.
pub fn applicant_name(id: &ApplicantId, name: &str, sees: bool) -> String {
    match id {
        ApplicantId::Person { .. } if !sees => mask_name(name),
        _ => name.to_owned(),
    }
}

/// Who acted, as a timeline shows them: staff by name (they act in office), applicants and requesters
/// (citizens) masked for viewers who may not see the person.
pub fn actor_name(role: Role, name: &str, sees: bool) -> String {
    if role == Role::Applicant && !sees {
        mask_name(name)
    } else {
        name.to_owned()
    }
}

/// Masks the personal data inside one journal entry's event (as JSON) for a viewer who may not see it:
/// an application's applicant (masked) and form (removed), a request's requester (masked). Entries of
/// every other kind carry no personal data. Does nothing when the viewer may see it.
pub fn redact_event(data: &mut Value, sees: bool) {
    if sees {
        return;
    }
    let Some(obj) = data.as_object_mut() else {
        return;
    };
    if obj.remove("form").is_some() {
        obj.insert("form".into(), Value::String("（已隐藏 / hidden）".into()));
    }
    for key in ["applicant", "requester"] {
        if let Some(person) = obj.get_mut(key) {
            redact_person(person);
        }
    }
    // An agent's step names the enterprise it acted for; its code stays with those who see the case.
    if let Some(Value::Object(m)) = obj.get_mut("on_behalf_of") {
        m.remove("enterprise_id");
    }
}

/// `{id, name, mobile|phone, …}` of a person with the name, ID and phone masked.
fn redact_person(v: &mut Value) {
    let Some(p) = v.as_object_mut() else { return };
    let organisation = p
        .get("id")
        .and_then(|id| id.get("kind"))
        .is_some_and(|k| k == "organisation");
    if !organisation && let Some(Value::String(n)) = p.get("name") {
        let masked = mask_name(n);
        p.insert("name".into(), Value::String(masked));
    }
    for key in ["mobile", "phone"] {
        if let Some(Value::String(m)) = p.get(key) {
            let masked = mask_phone(m);
            p.insert(key.into(), Value::String(masked));
        }
    }
    if let Some(id) = p.get("id").cloned() {
        let masked = match serde_json::from_value::<ApplicantId>(id) {
            Ok(id) => id.masked(),
            // Not an ID this version knows: hide it whole rather than guess.
            Err(_) => "********".into(),
        };
        p.insert("id".into(), Value::String(masked));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_phones_and_ids_are_masked_but_recognisable() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0530-1234567"), "05********67");
        assert_eq!(actor_name(Role::Applicant, "张三丰", false), "张**");
        assert_eq!(actor_name(Role::Clerk, "李晓窗", false), "李晓窗");
    }

    #[test]
    fn a_submission_and_a_request_lose_their_personal_data_for_viewers_without_need() {
        let mut submitted = serde_json::json!({
            "applicant": {"id": {"kind": "person", "id_number": "11010519491231002X"}, "name": "张三丰", "mobile": "13812345678"},
            "form": {"mall": "万达"},
        });
        let before = submitted.clone();
        redact_event(&mut submitted, true);
        assert_eq!(submitted, before, "nothing changes for those who may see it");
        redact_event(&mut submitted, false);
        let text = submitted.to_string();
        for secret in ["张三丰", "13812345678", "11010519491231002X", "万达"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let mut received = serde_json::json!({"requester": {"name": "王女士", "phone": "13905301234", "user_id": 7}, "content": "占道"});
        redact_event(&mut received, false);
        assert_eq!(received["requester"]["name"], "王**");
        assert_eq!(received["requester"]["phone"], "139****1234");
    }
}
