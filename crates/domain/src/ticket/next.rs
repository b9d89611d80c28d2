//! What a person is told after acting on a request, and what comes next for it.

use super::*;

impl TicketCommandKind {
    /// What was just done, in the past tense.
    pub fn done(self) -> Msg {
        use TicketCommandKind as K;
        let (code, zh, en) = match self {
            K::Dispatch => (
                "done_dispatch",
                "已派单，承办单位会在签收时限内签收。",
                "Dispatched; the lead department signs for it within its response limit.",
            ),
            K::Sign => (
                "done_sign",
                "已签收，请在时限内联系诉求人并办理。",
                "Signed; contact the requester and handle it within the limits.",
            ),
            K::Return => (
                "done_return",
                "已退回12345中心重新派单。",
                "Returned to the 12345 centre for dispatch.",
            ),
            K::GiveFeedback => (
                "done_feedback",
                "首次反馈已记录。",
                "The first feedback is recorded.",
            ),
            K::RequestExtension => (
                "done_request_extension",
                "延期申请已提交，等待12345中心审核。",
                "The extension is requested; the 12345 centre decides.",
            ),
            K::DecideExtension => (
                "done_decide_extension",
                "延期申请已审核。",
                "The extension request is decided.",
            ),
            K::Reply => (
                "done_reply",
                "已答复，等待12345中心回访。",
                "Answered; the 12345 centre will call back.",
            ),
            K::ReturnVisit => (
                "done_return_visit",
                "回访已记录。",
                "The return visit is recorded.",
            ),
            K::Merge => (
                "done_merge",
                "已并单，与同一诉求一并办理。",
                "Merged; handled together with the same matter.",
            ),
            K::Supervise => (
                "done_supervise",
                "已督办，承办单位会收到通知。",
                "Supervision raised; the lead department is told.",
            ),
            K::CheckClock => ("done_check_clock", "已检查时限。", "The clock is checked."),
            K::Report => ("done_report", "已报到。", "Reported."),
            K::ResolveInGrid => (
                "done_resolve_in_grid",
                "已在网格内处置，等待回访。",
                "Solved in the grid; a return visit follows.",
            ),
            K::Escalate => ("done_escalate", "已上报上一级处理。", "Passed up a level."),
        };
        Msg::new(code, zh, en)
    }
}

impl Ticket {
    /// What happens next to this request.
    pub fn next_step(&self) -> Msg {
        match self.status {
            TicketStatus::Received if self.holder.is_some() => Msg::new(
                "next_grid",
                "网格内处置中：网格员就地解决，或上报上一级。",
                "Held in the grid: the grid staff solve it on the spot or pass it up.",
            ),
            TicketStatus::Received => Msg::new(
                "next_dispatch",
                "等待12345中心派单。",
                "Waiting for the 12345 centre to dispatch it.",
            ),
            TicketStatus::Dispatched => Msg::new(
                "next_sign",
                "等待承办单位签收。",
                "Waiting for the lead department to sign for it.",
            ),
            TicketStatus::Handling => Msg::new(
                "next_handle",
                "承办单位办理中，将联系诉求人并答复。",
                "The lead department is handling it and will contact the requester and answer.",
            ),
            TicketStatus::Replied => Msg::new(
                "next_visit",
                "已答复，等待回访诉求人是否解决、是否满意。",
                "Answered; the requester is called back to ask whether it is solved and how satisfied they are.",
            ),
            TicketStatus::Closed => Msg::new("next_closed", "已办结。", "Closed."),
            TicketStatus::Merged => Msg::new(
                "next_merged",
                "已与相同诉求合并办理。",
                "Handled together with the same matter.",
            ),
        }
    }
}

/// A request's journal step as people read it (`received` → 已受理), in both languages. `None` for
/// a code this version does not know (the page then leaves the step out rather than show a code).
pub fn step_label(action: &str) -> Option<(&'static str, &'static str)> {
    Some(match action {
        "received" => ("受理登记", "Registered"),
        "dispatched" => ("派单", "Dispatched"),
        "signed" => ("承办单位签收", "Signed for by the department"),
        "returned" => ("退回重新派单", "Returned for dispatch"),
        "feedback_given" => ("联系诉求人反馈", "Feedback to the requester"),
        "extension_requested" => ("申请延期", "Extension requested"),
        "extension_decided" => ("延期审核", "Extension decided"),
        "replied" => ("答复", "Answered"),
        "return_visited" => ("回访", "Return visit"),
        "closed" => ("办结", "Closed"),
        "reopened" => ("重新办理", "Reopened"),
        "merged" => ("并单", "Merged"),
        "supervised" => ("督办", "Supervised"),
        "alarmed" => ("时限提醒", "Time limit alert"),
        "reported" => ("部门报到", "Department reported"),
        "resolved_in_grid" => ("网格内处置", "Solved in the grid"),
        "escalated" => ("上报上一级", "Passed up a level"),
        _ => return None,
    })
}
