//! What is asked of a request: a new [`Intake`] or a [`TicketCommand`], what deciding needs besides
//! ([`TicketContext`]), and why it may refuse ([`TicketError`]).

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum TicketCommand {
    Dispatch {
        lead: Code,
        #[serde(default)]
        assisting: Vec<Code>,
        sla: SlaProfile,
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
    Merge {
        into: i64,
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("{0}")]
    NotAllowedNow(String),
    #[error("{0}")]
    Invalid(String),
}

pub(super) fn now_illegal<T>(m: impl Into<String>) -> Result<T, TicketError> {
    Err(TicketError::NotAllowedNow(m.into()))
}

pub(super) fn invalid<T>(m: impl Into<String>) -> Result<T, TicketError> {
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
    /// The governance areas, for escalation up the grid levels.
    pub areas: &'a [crate::grid::Area],
}
