//! Who may do what. Every read and write goes through these functions; the web layer only maps a
//! refusal to 403.

use crate::case::{Case, CaseCommandKind, Channel, Command, Submission, Task};
use crate::messages::Msg;
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

/// The item a case is for (a bundle's code for a bundle): what an agent's scope names.
pub fn case_item(case: &Case) -> &crate::values::Code {
    match &case.subject {
        crate::case::Subject::Item { code, .. } | crate::case::Subject::Bundle { code, .. } => code,
    }
}

/// Whether `actor` is an agent acting for the case's applicant within an agreement in force.
pub fn is_agent_for(actor: &Actor, case: &Case) -> bool {
    actor.role == Role::Agent
        && crate::agency::mandate_for(actor, &case.applicant.id, case_item(case), case.project).is_ok()
}

/// The applicant themselves, or their agent within an agreement in force: who prepares, supplies and
/// withdraws.
fn own_or_agent(actor: &Actor, case: &Case) -> bool {
    is_own_case(actor, case) || is_agent_for(actor, case)
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
        Role::Agent => is_agent_for(actor, case),
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
        Role::Agent => is_agent_for(actor, case),
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
                deny(Msg::new(
                    "apply_for_yourself",
                    "申请人只能为本人申请，申请人须是您自己",
                    "applicants apply for themselves; the applicant must be you",
                ))
            }
        }
        (Role::Applicant, Channel::Window) => deny(Msg::new(
            "window_application_by_clerk",
            "窗口申请由窗口人员登记；您可以在网上申请，或到窗口办理",
            "applications at a window are registered by the clerk",
        )),
        (Role::Agent, Channel::Online) => {
            let item = match &submission.subject {
                crate::case::SubjectRef::Item { code } | crate::case::SubjectRef::Bundle { code } => code,
            };
            crate::agency::mandate_for(actor, &submission.applicant.id, item, submission.project)
                .map(|_| ())
                .map_err(Denied)
        }
        (Role::Clerk, Channel::Window) => Ok(()),
        (Role::Clerk, Channel::Online) => deny(Msg::new(
            "clerk_registers_at_window",
            "窗口人员在窗口登记申请，申请渠道请选择“窗口”",
            "a clerk registers applications at the window; use channel \"window\"",
        )),
        _ => deny(Msg::new(
            "submission_not_allowed",
            "只有申请人和代办员（网上）以及窗口人员（在窗口）可以提交申请",
            "only applicants and their agents (online) and window clerks (at the window) submit applications",
        )),
    }
}

/// Acting on one task: its department's approvers (and its supervisor, for a supervisor's task).
pub fn may_act_on_task(actor: &Actor, task: &Task) -> Result<(), Denied> {
    if !matches!(actor.role, Role::Approver | Role::Supervisor) {
        return deny(Msg::new(
            "task_by_department_approvers",
            "环节由该环节所属部门的审批人员办理",
            "tasks are handled by the approvers of the task's department",
        ));
    }
    if !in_department(actor, &task.department) {
        return deny(Msg::new(
            "task_of_other_department",
            format!(
                "环节“{}”属于部门 {}，不是您所在部门的环节",
                task.name, task.department
            ),
            format!(
                "task \"{}\" belongs to department {}, not yours",
                task.name, task.department
            ),
        ));
    }
    if let Some(role) = &task.role
        && role == "supervisor"
        && actor.role != Role::Supervisor
    {
        return deny(Msg::new(
            "task_for_supervisor",
            format!("环节“{}”须由本部门的科室负责人办理", task.name),
            format!("task \"{}\" is for the department's supervisor", task.name),
        ));
    }
    Ok(())
}

/// Issuing a command on an existing case.
pub fn authorize_command(actor: &Actor, case: &Case, cmd: &Command) -> Result<(), Denied> {
    match cmd {
        Command::Act { task, .. } | Command::RecordInspection { task, .. } => {
            if !can_view_case(actor, case) {
                return deny(Msg::new(
                    "case_no_access",
                    "您无权查看或办理此办件",
                    "you have no access to this case",
                ));
            }
            match case.task(*task) {
                Some(t) => may_act_on_task(actor, t),
                None => deny(Msg::new(
                    "no_such_task",
                    format!("办件 {} 没有第 {task} 号环节，请刷新页面后重试", case.number),
                    format!("case {} has no task {task}", case.number),
                )),
            }
        }
        other => authorize_case_kind(actor, case, other.kind()),
    }
}

/// A kind of command on a case (acting on a task also depends on which task: see [`may_act_on_task`]).
pub fn authorize_case_kind(actor: &Actor, case: &Case, kind: CaseCommandKind) -> Result<(), Denied> {
    use CaseCommandKind as K;
    // An agent is told why their agreement does not reach this case (none, outside it, ended).
    if actor.role == Role::Agent
        && let Err(m) = crate::agency::mandate_for(actor, &case.applicant.id, case_item(case), case.project)
    {
        return deny(m);
    }
    if !can_view_case(actor, case) {
        return deny(Msg::new(
            "case_no_access",
            "您无权查看或办理此办件",
            "you have no access to this case",
        ));
    }
    let clerk = actor.role == Role::Clerk;
    let own = is_own_case(actor, case);
    let acts_for_applicant = own_or_agent(actor, case);
    let has_open_task = case.open_tasks().any(|t| in_department(actor, &t.department));
    let reviewing_department = matches!(actor.role, Role::Approver | Role::Supervisor) && has_open_task;
    match kind {
        K::Accept | K::RefuseAcceptance | K::Deliver => {
            if clerk {
                Ok(())
            } else {
                deny(Msg::new(
                    "accept_deliver_by_clerk",
                    "受理和出件由窗口人员办理",
                    "acceptance and delivery are done by the window clerk",
                ))
            }
        }
        K::RequestSupplement => {
            if clerk || reviewing_department {
                Ok(())
            } else {
                deny(Msg::new(
                    "supplement_by_clerk_or_reviewer",
                    "补正由窗口人员或正在审查该办件的部门发起",
                    "a supplement is requested by the window clerk or by a department reviewing the case",
                ))
            }
        }
        K::SupplyMaterials => {
            if clerk || acts_for_applicant {
                Ok(())
            } else {
                deny(Msg::new(
                    "supply_by_applicant_or_window",
                    "补交材料须由申请人本人在网上提交，或到窗口补交",
                    "materials are supplied by the applicant or at the window",
                ))
            }
        }
        K::Act => {
            if case.open_tasks().any(|t| may_act_on_task(actor, t).is_ok()) {
                Ok(())
            } else {
                deny(Msg::new(
                    "task_by_department_approvers",
                    "环节由该环节所属部门的审批人员办理",
                    "tasks are handled by the approvers of the task's department",
                ))
            }
        }
        K::StartSpecialProcedure | K::EndSpecialProcedure => {
            if reviewing_department {
                Ok(())
            } else {
                deny(Msg::new(
                    "special_procedure_by_reviewer",
                    "特别程序由正在审查该办件的部门启动和结束",
                    "a special procedure is started by a department reviewing the case",
                ))
            }
        }
        K::RequestExtension => {
            if reviewing_department {
                Ok(())
            } else {
                deny(Msg::new(
                    "extension_by_reviewer",
                    "延期由正在审查该办件的部门申请",
                    "more time is asked by a department reviewing the case",
                ))
            }
        }
        K::GrantExtension | K::DenyExtension => {
            if actor.role == Role::Supervisor && department_involved(actor, case) {
                Ok(())
            } else {
                deny(Msg::new(
                    "extension_by_supervisor",
                    "延期由负责该办件的部门的科室负责人审批",
                    "an extension is granted by the supervisor of a department responsible for the case",
                ))
            }
        }
        K::Withdraw => {
            // The window withdraws on the applicant's behalf only while the papers are still at the
            // counter; once accepted, only the applicant can take it back.
            let at_the_counter = clerk && case.status == crate::case::CaseStatus::Submitted;
            if acts_for_applicant || at_the_counter {
                Ok(())
            } else {
                deny(Msg::new(
                    "withdraw_not_yours",
                    "只有申请人本人可以撤回；窗口只能在受理前代为撤回",
                    "only the applicant can withdraw; the window can do it on their behalf only before acceptance",
                ))
            }
        }
        K::ConveneMeeting | K::RecordMeeting => {
            if reviewing_department {
                Ok(())
            } else {
                deny(Msg::new(
                    "meeting_by_reviewer",
                    "会商由正在审查该办件的部门发起和记录",
                    "a joint review meeting is convened and recorded by a department reviewing the case",
                ))
            }
        }
        K::RecordInspection => {
            if case.open_tasks().any(|t| may_act_on_task(actor, t).is_ok()) {
                Ok(())
            } else {
                deny(Msg::new(
                    "inspection_by_task_department",
                    "勘验由该环节所属部门的审批人员记录",
                    "an inspection is recorded by the approvers of the task's department",
                ))
            }
        }
        K::ConsultArchive => {
            // The departments that decided it look up their own items' archives; the applicant reads
            // their own without a lookup.
            if matches!(actor.role, Role::Approver | Role::Supervisor) && department_involved(actor, case) {
                Ok(())
            } else {
                deny(Msg::new(
                    "archive_by_department",
                    "只有办理该事项的部门才能调阅其档案",
                    "only the departments that handled the case look up its archive",
                ))
            }
        }
        K::Rate => {
            if own {
                Ok(())
            } else {
                deny(Msg::new(
                    "rate_own_case_only",
                    "只有申请人本人可以评价自己的办件",
                    "only the applicant rates their case",
                ))
            }
        }
        K::CheckClock => {
            if actor.role == Role::System {
                Ok(())
            } else {
                deny(Msg::new(
                    "clock_check_by_system",
                    "时限由系统自动检查，无需人工操作",
                    "clocks are checked by onego itself",
                ))
            }
        }
    }
}

/// Reading a department's inbox.
pub fn can_read_inbox(actor: &Actor) -> Result<&crate::values::Code, Denied> {
    match (&actor.role, &actor.department) {
        (Role::Approver | Role::Supervisor | Role::GridMember, Some(d)) => Ok(d),
        _ => deny(Msg::new(
            "inbox_not_allowed",
            "待办箱供各部门审批人员、科室负责人使用，网格员可查看本网格的待办",
            "the inbox belongs to department approvers and supervisors, and to grid members for their area",
        )),
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
        deny(Msg::new(
            "admin_only",
            "只有系统管理员可以修改事项目录和用户",
            "only administrators change the catalog and users",
        ))
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
        (Role::GridMember, _) => deny(Msg::new(
            "grid_member_reports_grid",
            "网格员上报本网格内发现的事件，渠道请选择“网格上报”",
            "grid members report events found in their grid (channel \"grid\")",
        )),
        (Role::Applicant, TicketChannel::Web | TicketChannel::App) => {
            if requester.is_none_or(|u| u == actor.user_id) {
                Ok(())
            } else {
                deny(Msg::new(
                    "request_own_name_only",
                    "您只能以本人名义提出诉求",
                    "you can raise a request only in your own name",
                ))
            }
        }
        (Role::Applicant, TicketChannel::Enterprise) => match &actor.applicant {
            Some(crate::values::ApplicantId::Organisation { .. }) => Ok(()),
            _ => deny(Msg::new(
                "whistle_enterprise_only",
                "“企业吹哨”仅供企业使用，请用企业账号登录后提交",
                "the enterprise whistle is for enterprises (log in with the enterprise's account)",
            )),
        },
        (Role::Applicant, _) => deny(Msg::new(
            "online_request_channel",
            "网上提出诉求，渠道请选择“网站”或“App”",
            "online requests use channel \"web\" or \"app\"",
        )),
        _ => deny(Msg::new(
            "intake_not_allowed",
            "诉求由12345话务员、网格员或诉求人本人登记",
            "requests are registered by hotline operators, grid members and the requesters themselves",
        )),
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
        Role::Clerk | Role::Admin | Role::Agent => false,
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
                deny(Msg::new(
                    "ticket_centre_only",
                    "派单、延期审核、回访、并单和督办由12345中心办理",
                    "the 12345 centre dispatches, decides extensions, visits back, merges and supervises",
                ))
            }
        }
        K::Sign | K::Return | K::GiveFeedback | K::RequestExtension | K::Reply => {
            if department() && actor.department.is_some() && actor.department == t.lead {
                Ok(())
            } else {
                deny(Msg::new(
                    "ticket_lead_department_only",
                    "签收、退单、反馈、申请延期和答复由承办单位的工作人员办理",
                    "the lead department's staff sign, return, give feedback, ask for time and answer",
                ))
            }
        }
        K::Report => {
            if department() && named_department(actor, t) {
                Ok(())
            } else {
                deny(Msg::new(
                    "report_by_named_department",
                    "报到由诉求点名的单位的工作人员进行",
                    "a department named on the request reports to it",
                ))
            }
        }
        K::ResolveInGrid | K::Escalate => {
            if actor.role == Role::GridMember && actor.department.is_some() && actor.department == t.holder {
                Ok(())
            } else {
                deny(Msg::new(
                    "grid_staff_of_holder_only",
                    "就地办结或上报由事项所在网格（社区、街道）的网格员办理",
                    "the grid staff of the area holding the matter resolve or escalate it",
                ))
            }
        }
        K::CheckClock => {
            if actor.role == Role::System {
                Ok(())
            } else {
                deny(Msg::new(
                    "clock_check_by_system",
                    "时限由系统自动检查，无需人工操作",
                    "clocks are checked by onego itself",
                ))
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
        (_, Surface::Pages) => deny(Msg::new(
            "pages_need_session",
            "页面须登录后使用，不能用令牌访问",
            "pages are used with a logged-in session, not a token",
        )),
        (TokenScope::Api, Surface::ApiRead | Surface::ApiWrite | Surface::Open311Submit) => Ok(()),
        (TokenScope::ApiRead, Surface::ApiRead) => Ok(()),
        (TokenScope::ApiRead, _) => deny(Msg::new(
            "token_read_only",
            "此令牌只能读取；如需修改，请使用可读写的令牌",
            "this token reads only; use a read-and-write token to change anything",
        )),
        (TokenScope::Open311, Surface::Open311Submit) => Ok(()),
        (TokenScope::Open311, _) => deny(Msg::new(
            "open311_key_only",
            "这是 Open311 合作方密钥：只能在 /open311/v2 提交诉求，不能用于其他功能",
            "this is an Open311 partner key: it submits requests at /open311/v2 and opens nothing else",
        )),
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
                mandates: Vec::new(),
            },
            TicketChannel::Open311,
            None,
        )
        .map_err(|_| {
            Denied(Msg::new(
                "open311_key_holder",
                "Open311 合作方密钥只能发给登记诉求的账号（话务员角色）",
                "an Open311 partner key is given to an account that registers requests (role operator)",
            ))
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
    /// An agent's: the applications its agreements in force reach (the enterprise's, for the items or
    /// projects named).
    Mandates(Vec<crate::agency::Mandate>),
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
        (Role::Agent, _) => Ok(CaseScope::Mandates(
            actor
                .mandates
                .iter()
                .filter(|m| m.in_force)
                .take(20)
                .cloned()
                .collect(),
        )),
        _ => deny(Msg::new(
            "case_list_not_allowed",
            "办件仅供申请人、窗口、相关部门和领导查阅",
            "applications are read by applicants, the window, departments and leaders",
        )),
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
        _ => deny(Msg::new(
            "ticket_list_not_allowed",
            "诉求仅供12345热线、承办单位、网格员、领导和诉求人本人查阅",
            "requests are read by the hotline, departments, grid staff, leaders and the requesters",
        )),
    }
}
