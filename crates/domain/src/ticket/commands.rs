//! What is asked of a request: a new [`Intake`] or a [`TicketCommand`], what deciding needs besides
//! ([`TicketContext`]), and why it may refuse ([`TicketError`]).

use super::*;

/// A command on a request, as every caller sends it (API, pages, Open311, timers): tagged by `command`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum TicketCommand {
    /// 派单: the lead department, any assisting ones, and the SLA profile by code (the category's when
    /// left out; `category` names another category whose profile applies).
    Dispatch {
        lead: Code,
        #[serde(default)]
        assisting: Vec<Code>,
        #[serde(default)]
        category: Option<Code>,
        #[serde(default)]
        sla: Option<Code>,
        #[serde(default)]
        note: String,
    },
    Sign,
    Return {
        reason: String,
    },
    GiveFeedback {
        text: String,
    },
    RequestExtension {
        limit: Limit,
        reason: String,
    },
    DecideExtension {
        granted: bool,
        #[serde(default)]
        reason: String,
    },
    Reply {
        answer: String,
    },
    ReturnVisit {
        solved: bool,
        satisfaction: u8,
        #[serde(default)]
        note: String,
    },
    /// 并单: merge this request into another, named by its number.
    Merge {
        into: String,
    },
    Supervise {
        #[serde(default)]
        reason: String,
    },
    CheckClock {
        clock: TicketClock,
        alarm: Alarm,
    },
    /// A summoned or assisting department reports (报到).
    Report,
    /// The area holding the matter solves it (小事不出网格).
    ResolveInGrid {
        answer: String,
    },
    /// The area holding the matter passes it up a level.
    Escalate {
        reason: String,
    },
}

/// Which command, without what it carries: what a reader may issue now, and what the policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketCommandKind {
    Dispatch,
    Sign,
    Return,
    GiveFeedback,
    RequestExtension,
    DecideExtension,
    Reply,
    ReturnVisit,
    Merge,
    Supervise,
    CheckClock,
    Report,
    ResolveInGrid,
    Escalate,
}

impl TicketCommandKind {
    /// Every command a person may issue (not the clock check, which onego issues itself).
    pub const BY_PEOPLE: [TicketCommandKind; 13] = [
        TicketCommandKind::Dispatch,
        TicketCommandKind::Sign,
        TicketCommandKind::Return,
        TicketCommandKind::GiveFeedback,
        TicketCommandKind::RequestExtension,
        TicketCommandKind::DecideExtension,
        TicketCommandKind::Reply,
        TicketCommandKind::ReturnVisit,
        TicketCommandKind::Merge,
        TicketCommandKind::Supervise,
        TicketCommandKind::Report,
        TicketCommandKind::ResolveInGrid,
        TicketCommandKind::Escalate,
    ];

    /// The `command` tag the API uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketCommandKind::Dispatch => "dispatch",
            TicketCommandKind::Sign => "sign",
            TicketCommandKind::Return => "return",
            TicketCommandKind::GiveFeedback => "give_feedback",
            TicketCommandKind::RequestExtension => "request_extension",
            TicketCommandKind::DecideExtension => "decide_extension",
            TicketCommandKind::Reply => "reply",
            TicketCommandKind::ReturnVisit => "return_visit",
            TicketCommandKind::Merge => "merge",
            TicketCommandKind::Supervise => "supervise",
            TicketCommandKind::CheckClock => "check_clock",
            TicketCommandKind::Report => "report",
            TicketCommandKind::ResolveInGrid => "resolve_in_grid",
            TicketCommandKind::Escalate => "escalate",
        }
    }
}

impl TicketCommand {
    pub fn kind(&self) -> TicketCommandKind {
        match self {
            TicketCommand::Dispatch { .. } => TicketCommandKind::Dispatch,
            TicketCommand::Sign => TicketCommandKind::Sign,
            TicketCommand::Return { .. } => TicketCommandKind::Return,
            TicketCommand::GiveFeedback { .. } => TicketCommandKind::GiveFeedback,
            TicketCommand::RequestExtension { .. } => TicketCommandKind::RequestExtension,
            TicketCommand::DecideExtension { .. } => TicketCommandKind::DecideExtension,
            TicketCommand::Reply { .. } => TicketCommandKind::Reply,
            TicketCommand::ReturnVisit { .. } => TicketCommandKind::ReturnVisit,
            TicketCommand::Merge { .. } => TicketCommandKind::Merge,
            TicketCommand::Supervise { .. } => TicketCommandKind::Supervise,
            TicketCommand::CheckClock { .. } => TicketCommandKind::CheckClock,
            TicketCommand::Report => TicketCommandKind::Report,
            TicketCommand::ResolveInGrid { .. } => TicketCommandKind::ResolveInGrid,
            TicketCommand::Escalate { .. } => TicketCommandKind::Escalate,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("{0}")]
    NotAllowedNow(crate::messages::Msg),
    #[error("{0}")]
    Invalid(crate::messages::Msg),
}

pub(super) fn now_illegal<T>(m: impl Into<crate::messages::Msg>) -> Result<T, TicketError> {
    Err(TicketError::NotAllowedNow(m.into()))
}

pub(super) fn invalid<T>(m: impl Into<crate::messages::Msg>) -> Result<T, TicketError> {
    Err(TicketError::Invalid(m.into()))
}

/// A new request as registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    pub channel: TicketChannel,
    pub kind: TicketType,
    pub category: Category,
    pub content: String,
    #[serde(default)]
    pub location: Option<Location>,
    pub requester: Requester,
    pub urgency: Urgency,
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The grid the location lies in (the engine finds it from the coordinates).
    #[serde(default)]
    pub grid: Option<Code>,
    /// Enterprise whistle (企业吹哨): the departments that must report (报到) within the response limit.
    #[serde(default)]
    pub summoned: Vec<Code>,
    /// Answers to the category's extra questions (Open311 attributes), code → value; a multi-valued
    /// answer is one pair per value.
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
}

/// What `decide` needs besides the state and the command.
pub struct TicketContext<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub calendar: &'a WorkingCalendar,
    pub policy: ClockPolicy,
    /// Categories, SLA profiles (a dispatch names them by code) and areas (escalation climbs them).
    pub hotline: &'a crate::hotline::Hotline,
    /// The departments that exist (a dispatch names them).
    pub departments: &'a [Code],
    /// For a merge: the request named, as the engine found it by its number.
    pub merge_target: Option<MergeTarget>,
}

/// The request a merge names, looked up before deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeTarget {
    pub id: i64,
    pub number: String,
    pub status: TicketStatus,
}
