//! Who may do what. Every read and write goes through these functions; the web layer only maps a
//! refusal to 403.

use crate::case::{Case, CaseCommandKind, Channel, Command, Submission, Task};
use crate::org::{Actor, Role};

/// A refusal, with a message that says who could do it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub crate::messages::Msg);

fn deny<T>(m: impl Into<crate::messages::Msg>) -> Result<T, Denied> {
    Err(Denied(m.into()))
}

/// Whether the case is the actor's own application.
pub fn is_own_case(actor: &Actor, case: &Case) -> bool {
    actor.role == Role::Applicant
        && (case.applicant.user_id == Some(actor.user_id)
            || actor.applicant.as_ref() == Some(&case.applicant.id))
}

fn in_department(actor: &Actor, dept: &crate::values::Code) -> bool {
    actor.department.as_ref() == Some(dept)
}

/// Whether any task of the case (open or done) belongs to the actor's department.
fn department_involved(actor: &Actor, case: &Case) -> bool {
    in_department(actor, &case.department)
        || case.tasks.iter().any(|t| in_department(actor, &t.department))
        || case.flows.iter().any(|f| in_department(actor, &f.department))
}

/// Reading a case, its timeline and materials.
pub fn can_view_case(actor: &Actor, case: &Case) -> bool {
    match actor.role {
        Role::Applicant => is_own_case(actor, case),
        // The window serves every item (无差别受理) and hands out every result.
        Role::Clerk => true,
        Role::Approver | Role::Supervisor => department_involved(actor, case),
        Role::Leader | Role::System => true,
        // Administrators configure; they do not read applications. The hotline and grid staff
        // work on requests, not on applications.
        Role::Admin | Role::Operator | Role::Dispatcher | Role::GridMember => false,
    }
}

/// Whether the actor may see the applicant's personal data unmasked.
pub fn sees_personal_data(actor: &Actor, case: &Case) -> bool {
    match actor.role {
        Role::Applicant => is_own_case(actor, case),
        Role::Clerk | Role::Approver | Role::Supervisor => can_view_case(actor, case),
        Role::Leader | Role::Admin | Role::System | Role::Operator | Role::Dispatcher | Role::GridMember => {
            false
        }
    }
}

/// Submitting a new application.
pub fn authorize_submission(actor: &Actor, submission: &Submission) -> Result<(), Denied> {
    match (actor.role, submission.channel) {
        (Role::Applicant, Channel::Online) => {
            let own = actor.applicant.as_ref() == Some(&submission.applicant.id);
            if own {
                Ok(())
            } else {
                deny("applicants apply for themselves; the applicant must be you")
            }
        }
        (Role::Applicant, Channel::Window) => deny("applications at a window are registered by the clerk"),
        (Role::Clerk, Channel::Window) => Ok(()),
        (Role::Clerk, Channel::Online) => {
            deny("a clerk registers applications at the window; use channel \"window\"")
        }
        _ => deny("only applicants (online) and window clerks (at the window) submit applications"),
    }
}

/// Acting on one task: its department's approvers (and its supervisor, for a supervisor's task).
pub fn may_act_on_task(actor: &Actor, task: &Task) -> Result<(), Denied> {
    if !matches!(actor.role, Role::Approver | Role::Supervisor) {
        return deny("tasks are handled by the approvers of the task's department");
    }
    if !in_department(actor, &task.department) {
        return deny(format!(
            "task \"{}\" belongs to department {}, not yours",
            task.name, task.department
        ));
    }
    if let Some(role) = &task.role
        && role == "supervisor"
        && actor.role != Role::Supervisor
    {
        return deny(format!(
            "task \"{}\" is for the department's supervisor",
            task.name
        ));
    }
    Ok(())
}

/// Issuing a command on an existing case.
pub fn authorize_command(actor: &Actor, case: &Case, cmd: &Command) -> Result<(), Denied> {
    match cmd {
        Command::Act { task, .. } => {
            if !can_view_case(actor, case) {
                return deny("you have no access to this case");
            }
            match case.task(*task) {
                Some(t) => may_act_on_task(actor, t),
                None => deny(format!("case {} has no task {task}", case.number)),
            }
        }
        other => authorize_case_kind(actor, case, other.kind()),
    }
}

/// A kind of command on a case (acting on a task also depends on which task: see [`may_act_on_task`]).
pub fn authorize_case_kind(actor: &Actor, case: &Case, kind: CaseCommandKind) -> Result<(), Denied> {
    use CaseCommandKind as K;
    if !can_view_case(actor, case) {
        return deny("you have no access to this case");
    }
    let clerk = actor.role == Role::Clerk;
    let own = is_own_case(actor, case);
    let has_open_task = case.open_tasks().any(|t| in_department(actor, &t.department));
    let reviewing_department = matches!(actor.role, Role::Approver | Role::Supervisor) && has_open_task;
    match kind {
        K::Accept | K::RefuseAcceptance | K::Deliver => {
            if clerk {
                Ok(())
            } else {
                deny("acceptance and delivery are done by the window clerk")
            }
        }
        K::RequestSupplement => {
            if clerk || reviewing_department {
                Ok(())
            } else {
                deny("a supplement is requested by the window clerk or by a department reviewing the case")
            }
        }
        K::SupplyMaterials => {
            if clerk || own {
                Ok(())
            } else {
                deny("materials are supplied by the applicant or at the window")
            }
        }
        K::Act => {
            if case.open_tasks().any(|t| may_act_on_task(actor, t).is_ok()) {
                Ok(())
            } else {
                deny("tasks are handled by the approvers of the task's department")
            }
        }
        K::StartSpecialProcedure | K::EndSpecialProcedure => {
            if reviewing_department {
                Ok(())
            } else {
                deny("a special procedure is started by a department reviewing the case")
            }
        }
        K::RequestExtension => {
            if reviewing_department {
                Ok(())
            } else {
                deny("more time is asked by a department reviewing the case")
            }
        }
        K::GrantExtension | K::DenyExtension => {
            if actor.role == Role::Supervisor && department_involved(actor, case) {
                Ok(())
            } else {
                deny("an extension is granted by the supervisor of a department responsible for the case")
            }
        }
        K::Withdraw => {
            // The window withdraws on the applicant's behalf only while the papers are still at the
            // counter; once accepted, only the applicant can take it back.
            let at_the_counter = clerk && case.status == crate::case::CaseStatus::Submitted;
            if own || at_the_counter {
                Ok(())
            } else {
                deny(crate::messages::Msg::new(
                    "withdraw_not_yours",
                    "只有申请人本人可以撤回；窗口只能在受理前代为撤回",
                    "only the applicant can withdraw; the window can do it on their behalf only before acceptance",
                ))
            }
        }
        K::Rate => {
            if own {
                Ok(())
            } else {
                deny("only the applicant rates their case")
            }
        }
        K::CheckClock => {
            if actor.role == Role::System {
                Ok(())
            } else {
                deny("clocks are checked by onego itself")
            }
        }
    }
}

/// Reading a department's inbox.
pub fn can_read_inbox(actor: &Actor) -> Result<&crate::values::Code, Denied> {
    match (&actor.role, &actor.department) {
        (Role::Approver | Role::Supervisor | Role::GridMember, Some(d)) => Ok(d),
        _ => deny(
            "the inbox belongs to department approvers and supervisors, and to grid members for their area",
        ),
    }
}

/// Reading statistics: leaders for everything; supervisors for their department.
pub fn can_read_statistics(actor: &Actor) -> bool {
    matches!(actor.role, Role::Leader | Role::Supervisor | Role::Admin)
}

/// Changing the catalog, processes, departments and users.
pub fn authorize_admin(actor: &Actor) -> Result<(), Denied> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        deny("only administrators change the catalog and users")
    }
}

// ---- Requests (tickets) ----

use crate::ticket::{Intake, Ticket, TicketChannel, TicketCommand, TicketCommandKind};

/// Registering a request.
pub fn authorize_intake(actor: &Actor, intake: &Intake) -> Result<(), Denied> {
    authorize_intake_channel(actor, intake.channel, intake.requester.user_id)
}

/// Registering a request through a channel, in the name of `requester` (a user id) when given.
pub fn authorize_intake_channel(
    actor: &Actor,
    channel: TicketChannel,
    requester: Option<i64>,
) -> Result<(), Denied> {
    match (actor.role, channel) {
        (Role::Operator | Role::Dispatcher | Role::System, _) => Ok(()),
        (Role::GridMember, TicketChannel::Grid) => Ok(()),
        (Role::GridMember, _) => deny("grid members report events found in their grid (channel \"grid\")"),
        (Role::Applicant, TicketChannel::Web | TicketChannel::App) => {
            if requester.is_none_or(|u| u == actor.user_id) {
                Ok(())
            } else {
                deny("you can raise a request only in your own name")
            }
        }
        (Role::Applicant, TicketChannel::Enterprise) => match &actor.applicant {
            Some(crate::values::ApplicantId::Organisation { .. }) => Ok(()),
            _ => deny("the enterprise whistle is for enterprises (log in with the enterprise's account)"),
        },
        (Role::Applicant, _) => deny("online requests use channel \"web\" or \"app\""),
        _ => deny("requests are registered by hotline operators, grid members and the requesters themselves"),
    }
}

fn is_centre(actor: &Actor) -> bool {
    matches!(actor.role, Role::Dispatcher | Role::System)
}

fn named_department(actor: &Actor, t: &Ticket) -> bool {
    actor
        .department
        .as_ref()
        .is_some_and(|d| t.lead.as_ref() == Some(d) || t.assisting.contains(d) || t.summoned.contains(d))
}

/// Whether the request is the actor's own.
pub fn is_own_ticket(actor: &Actor, t: &Ticket) -> bool {
    actor.role == Role::Applicant && t.requester.user_id == Some(actor.user_id)
}

/// Reading a request and its timeline.
pub fn can_view_ticket(actor: &Actor, t: &Ticket) -> bool {
    match actor.role {
        Role::Operator | Role::Dispatcher | Role::Leader | Role::System => true,
        Role::Approver | Role::Supervisor => named_department(actor, t),
        Role::GridMember => {
            let area = actor.department.as_ref();
            area.is_some() && (t.holder.as_ref() == area || t.grid.as_ref() == area)
        }
        Role::Applicant => is_own_ticket(actor, t),
        Role::Clerk | Role::Admin => false,
    }
}

/// Whether the actor may see who asked and how to reach them: the requester, the centre that calls
/// back, and the lead department that handles it. Everyone else sees them masked.
pub fn sees_requester(actor: &Actor, t: &Ticket) -> bool {
    match actor.role {
        Role::Operator | Role::Dispatcher => true,
        Role::Approver | Role::Supervisor => actor.department.is_some() && actor.department == t.lead,
        Role::Applicant => is_own_ticket(actor, t),
        _ => false,
    }
}

/// A command on a request.
pub fn authorize_ticket_command(actor: &Actor, t: &Ticket, cmd: &TicketCommand) -> Result<(), Denied> {
    authorize_ticket_kind(actor, t, cmd.kind())
}

/// A kind of command on a request (what [`Ticket::available`] asks for each kind).
pub fn authorize_ticket_kind(actor: &Actor, t: &Ticket, kind: TicketCommandKind) -> Result<(), Denied> {
    use TicketCommandKind as K;
    let department = || matches!(actor.role, Role::Approver | Role::Supervisor);
    match kind {
        K::Dispatch | K::DecideExtension | K::ReturnVisit | K::Merge | K::Supervise => {
            if is_centre(actor) {
                Ok(())
            } else {
                deny("the 12345 centre dispatches, decides extensions, visits back, merges and supervises")
            }
        }
        K::Sign | K::Return | K::GiveFeedback | K::RequestExtension | K::Reply => {
            if department() && actor.department.is_some() && actor.department == t.lead {
                Ok(())
            } else {
                deny("the lead department's staff sign, return, give feedback, ask for time and answer")
            }
        }
        K::Report => {
            if department() && named_department(actor, t) {
                Ok(())
            } else {
                deny("a department named on the request reports to it")
            }
        }
        K::ResolveInGrid | K::Escalate => {
            if actor.role == Role::GridMember && actor.department.is_some() && actor.department == t.holder {
                Ok(())
            } else {
                deny("the grid staff of the area holding the matter resolve or escalate it")
            }
        }
        K::CheckClock => {
            if actor.role == Role::System {
                Ok(())
            } else {
                deny("clocks are checked by onego itself")
            }
        }
    }
}

// ---- Credentials ----

use crate::org::TokenScope;

/// Where a request arrives: the JSON API (reading or changing), the HTML pages, or Open311.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    ApiRead,
    ApiWrite,
    Pages,
    Open311Submit,
}

/// Whether a token of this scope may be used where the request arrives.
pub fn token_reaches(scope: TokenScope, surface: Surface) -> Result<(), Denied> {
    match (scope, surface) {
        (_, Surface::Pages) => deny("pages are used with a logged-in session, not a token"),
        (TokenScope::Api, Surface::ApiRead | Surface::ApiWrite | Surface::Open311Submit) => Ok(()),
        (TokenScope::ApiRead, Surface::ApiRead) => Ok(()),
        (TokenScope::ApiRead, _) => {
            deny("this token reads only; use a read-and-write token to change anything")
        }
        (TokenScope::Open311, Surface::Open311Submit) => Ok(()),
        (TokenScope::Open311, _) => {
            deny("this is an Open311 partner key: it submits requests at /open311/v2 and opens nothing else")
        }
    }
}

/// Who may be given a token of this scope: Open311 keys go to accounts that may register requests.
pub fn may_hold_token(role: Role, scope: TokenScope) -> Result<(), Denied> {
    match scope {
        TokenScope::Open311 => authorize_intake_channel(
            &Actor {
                user_id: 0,
                username: String::new(),
                name: String::new(),
                role,
                department: None,
                applicant: None,
            },
            TicketChannel::Open311,
            None,
        )
        .map_err(|_| {
            Denied(
                "an Open311 partner key is given to an account that registers requests (role operator)"
                    .into(),
            )
        }),
        TokenScope::Api | TokenScope::ApiRead => Ok(()),
    }
}

// ---- Lists ----

use crate::values::{ApplicantId, Code};

/// Which applications a list shows a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseScope {
    /// An applicant's own: made by their account, or in their ID's name at a window.
    Own {
        user_id: i64,
        applicant: Option<ApplicantId>,
    },
    /// A department's: its own items' cases, and any it has a part in.
    Department(Code),
    /// Every application (the window, leaders).
    All,
}

/// Which applications `actor` may list. The API, the pages and exports use this one rule.
pub fn case_list_scope(actor: &Actor) -> Result<CaseScope, Denied> {
    match (actor.role, &actor.department) {
        (Role::Applicant, _) => Ok(CaseScope::Own {
            user_id: actor.user_id,
            applicant: actor.applicant.clone(),
        }),
        (Role::Approver | Role::Supervisor, Some(d)) => Ok(CaseScope::Department(d.clone())),
        (Role::Clerk | Role::Leader | Role::System, _) => Ok(CaseScope::All),
        _ => deny("applications are read by applicants, the window, departments and leaders"),
    }
}

/// Which requests a list shows a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketScope {
    /// Every request (the hotline, leaders).
    All,
    /// The requests a department leads.
    Lead(Code),
    /// The requests in a governance area.
    Area(Code),
    /// A requester's own.
    Requester(i64),
}

/// Which requests `actor` may list. The API, the pages and Open311's lists use this one rule.
pub fn ticket_list_scope(actor: &Actor) -> Result<TicketScope, Denied> {
    match (actor.role, &actor.department) {
        (Role::Operator | Role::Dispatcher | Role::Leader | Role::System, _) => Ok(TicketScope::All),
        (Role::Approver | Role::Supervisor, Some(d)) => Ok(TicketScope::Lead(d.clone())),
        (Role::GridMember, Some(a)) => Ok(TicketScope::Area(a.clone())),
        (Role::Applicant, _) => Ok(TicketScope::Requester(actor.user_id)),
        _ => deny("requests are read by the hotline, departments, grid staff, leaders and the requesters"),
    }
}
