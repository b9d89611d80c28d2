//! Data instead of papers: the items an application asks for, and whether it is 秒批 — every required
//! material came from the applicant's certificates or shared data, and every item allows it — so onego
//! accepts it at once and the items' rules decide.

use chrono::NaiveDate;

use super::{Command, Registry, SubjectRef, Submission};
use crate::catalog::{Necessity, ServiceItem};

/// The items in force on `today` that an application for `subject` asks for (none for an unknown one:
/// opening the case reports that).
pub fn items_of<'r>(
    registry: &'r dyn Registry,
    subject: &SubjectRef,
    today: NaiveDate,
) -> Vec<&'r ServiceItem> {
    match subject {
        SubjectRef::Item { code } => registry.item(code, today).into_iter().collect(),
        SubjectRef::Bundle { code } => registry
            .bundle(code, today)
            .map(|b| b.members.iter().filter_map(|m| registry.item(m, today)).collect())
            .unwrap_or_default(),
    }
}

/// The acceptance onego makes itself for a 秒批 application: online, every item marked for
/// auto-approval, and every required (or 容缺) material of every item supplied by a certificate. `None`
/// otherwise (a person accepts it as usual).
pub fn auto_acceptance(items: &[&ServiceItem], submission: &Submission) -> Option<Command> {
    if submission.channel != super::Channel::Online
        || items.is_empty()
        || !items.iter().all(|i| i.auto_approval)
    {
        return None;
    }
    let by_certificate = |code| {
        submission
            .materials
            .iter()
            .any(|m| &m.code == code && m.certificate.is_some())
    };
    // 容缺后补 materials are needed too, only later: for nobody to look at papers, they must come
    // from data as well.
    let all = items
        .iter()
        .flat_map(|i| &i.materials)
        .filter(|m| m.necessity != Necessity::Optional)
        .all(|m| by_certificate(&m.code));
    if !all {
        return None;
    }
    let mut received: Vec<_> = submission.materials.iter().map(|m| m.code.clone()).collect();
    received.sort();
    received.dedup();
    Some(Command::Accept {
        received,
        deferred: vec![],
        opinion: "秒批：所需材料均由电子证照和共享数据提供，系统自动受理".into(),
    })
}
