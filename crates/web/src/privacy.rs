//! The one place every output (JSON API, pages, notices, Open311) takes personal data through: the
//! policy says whether the viewer may see a case's applicant or a request's requester; the domain's
//! `privacy` rules say how it is masked when not. Nothing outside this module shows a journal, an
//! applicant or a requester without passing here.

use onego_domain::case::Case;
use onego_domain::org::{Actor, Role};
use onego_domain::policy;
use onego_domain::privacy;
use onego_domain::ticket::Ticket;
use onego_store::aggregate::{JournalRow, JournalView};

/// A journal as a viewer may read it: the actors who are citizens and the personal data inside each
/// event masked unless `sees`.
pub fn journal(rows: &[JournalRow], sees: bool) -> Vec<JournalView> {
    rows.iter()
        .map(|r| {
            let mut v = r.view();
            privacy::redact_event(&mut v.data, sees);
            let role = Role::parse(&v.actor_role).unwrap_or(Role::Applicant);
            v.actor_name = privacy::actor_name(role, &v.actor_name, sees);
            v
        })
        .collect()
}

/// A case's applicant as the viewer may see them: (ID, name, mobile).
pub struct ApplicantView {
    pub id: String,
    pub name: String,
    pub mobile: Option<String>,
    pub masked: bool,
}

pub fn sees_case(actor: &Actor, case: &Case) -> bool {
    policy::sees_personal_data(actor, case)
}

pub fn applicant(actor: &Actor, case: &Case) -> ApplicantView {
    let sees = sees_case(actor, case);
    let a = &case.applicant;
    ApplicantView {
        id: if sees {
            a.id.as_str().to_owned()
        } else {
            privacy::mask_applicant_id(&a.id)
        },
        name: privacy::applicant_name(&a.id, &a.name, sees),
        mobile: a
            .mobile
            .as_ref()
            .map(|m| if sees { m.as_str().to_owned() } else { m.masked() }),
        masked: !sees,
    }
}

/// A case's full state as JSON for the viewer: without the applicant and form for those who may not see them.
pub fn case_state(actor: &Actor, case: &Case) -> serde_json::Value {
    let mut full = serde_json::to_value(case).unwrap_or(serde_json::Value::Null);
    if !sees_case(actor, case)
        && let Some(obj) = full.as_object_mut()
    {
        obj.remove("applicant");
        obj.remove("form");
    }
    full
}

/// A request's requester as the viewer may see them.
pub fn requester(actor: &Actor, t: &Ticket) -> crate::api::tickets::RequesterView {
    let sees = policy::sees_requester(actor, t);
    crate::api::tickets::RequesterView {
        anonymous: t.requester.is_anonymous(),
        name: t
            .requester
            .name
            .as_ref()
            .map(|n| if sees { n.clone() } else { privacy::mask_name(n) }),
        phone: t
            .requester
            .phone
            .as_ref()
            .map(|p| if sees { p.as_str().to_owned() } else { p.masked() }),
        masked: !sees,
    }
}

/// A request's full state as JSON: the requester is shown only through [`requester`].
pub fn ticket_state(t: &Ticket) -> serde_json::Value {
    let mut value = serde_json::to_value(t).unwrap_or(serde_json::Value::Null);
    if let Some(o) = value.as_object_mut() {
        o.remove("requester");
    }
    value
}
