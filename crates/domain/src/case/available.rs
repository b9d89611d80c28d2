//! What a reader may do with a case now: the commands the policy allows them and the case's state
//! allows, and the tasks they may act on. Pages offer a form for each, the API lists them.

use super::*;
use crate::org::Role;
use crate::policy;

/// The commands an actor may issue on a case now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Available {
    /// Kinds of command other than acting on a task (accepting, 补正, delivering, …).
    pub commands: Vec<CaseCommandKind>,
    /// The open tasks the actor may act on.
    pub tasks: Vec<TaskId>,
}

impl Available {
    pub fn can(&self, kind: CaseCommandKind) -> bool {
        self.commands.contains(&kind)
    }
}

impl Case {
    pub fn available(&self, actor: &Actor) -> Available {
        use CaseCommandKind as K;
        let allowed = |k: K| policy::authorize_case_kind(actor, self, k).is_ok();
        let status = self.status;
        let reviewing = status == CaseStatus::InReview;
        let state_allows = |k: K| match k {
            K::Accept | K::RefuseAcceptance => status == CaseStatus::Submitted,
            K::RequestSupplement => {
                matches!(status, CaseStatus::Submitted | CaseStatus::InReview) && self.supplement.is_none()
            }
            K::SupplyMaterials => self.supplement.is_some() || !self.deferred.is_empty(),
            K::Deliver => status == CaseStatus::Decided,
            K::Withdraw => matches!(status, CaseStatus::Submitted | CaseStatus::InReview),
            K::Rate => {
                matches!(status, CaseStatus::Delivered | CaseStatus::NotAccepted)
                    && self.rating.is_none()
                    && actor.role == Role::Applicant
            }
            K::RequestExtension => {
                reviewing && self.extension_request.is_none() && actor.role == Role::Approver
            }
            K::GrantExtension | K::DenyExtension => reviewing,
            K::StartSpecialProcedure => reviewing && self.special.is_none(),
            K::EndSpecialProcedure => self.special.is_some(),
            K::ConsultArchive => self.decided_at.is_some(),
            K::ConveneMeeting => reviewing,
            K::RecordMeeting => {
                reviewing
                    && self
                        .meetings
                        .iter()
                        .any(|m| m.held_at.is_none() && actor.department.as_ref() == Some(&m.convened_by))
            }
            K::RecordInspection => reviewing,
            K::Act | K::CheckClock => false,
        };
        Available {
            commands: [
                K::Accept,
                K::RefuseAcceptance,
                K::RequestSupplement,
                K::SupplyMaterials,
                K::StartSpecialProcedure,
                K::EndSpecialProcedure,
                K::RequestExtension,
                K::GrantExtension,
                K::DenyExtension,
                K::Deliver,
                K::Withdraw,
                K::Rate,
                K::ConveneMeeting,
                K::RecordMeeting,
                K::RecordInspection,
            ]
            .into_iter()
            .filter(|k| state_allows(*k) && allowed(*k))
            .collect(),
            tasks: self
                .open_tasks()
                .filter(|t| policy::may_act_on_task(actor, t).is_ok())
                .map(|t| t.id)
                .collect(),
        }
    }
}
