//! What happens to a request, recorded in its journal.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TicketEvent {
    Received {
        channel: TicketChannel,
        kind: TicketType,
        category: Category,
        content: String,
        #[serde(default)]
        location: Option<Location>,
        requester: Requester,
        urgency: Urgency,
        #[serde(default)]
        attachments: Vec<String>,
        /// Answers to the category's extra questions (Open311 attributes), code → value(s).
        #[serde(default)]
        attributes: Vec<(String, String)>,
    },
    Dispatched {
        lead: Code,
        #[serde(default)]
        assisting: Vec<Code>,
        sla: SlaProfile,
        note: String,
    },
    Signed {
        department: Code,
    },
    Returned {
        department: Code,
        reason: String,
    },
    FeedbackGiven {
        text: String,
    },
    ExtensionRequested {
        limit: Limit,
        reason: String,
    },
    ExtensionDecided {
        granted: bool,
        reason: String,
    },
    Replied {
        answer: String,
    },
    ReturnVisited {
        solved: bool,
        satisfaction: u8,
        note: String,
    },
    Closed,
    Reopened {
        reason: String,
    },
    Merged {
        into: i64,
    },
    Supervised {
        level: SupervisionLevel,
        reason: String,
    },
    Alarmed {
        clock: TicketClock,
        alarm: Alarm,
    },
    /// A summoned or assisting department reported (报到).
    Reported {
        department: Code,
    },
    /// Solved within the grid levels (小事不出网格).
    ResolvedInGrid {
        area: Code,
        answer: String,
    },
    /// Passed up a level; `to` is `None` when it reaches the centre, which dispatches.
    Escalated {
        from: Code,
        to: Option<Code>,
        reason: String,
    },
}

impl TicketEvent {
    /// The words a person wrote with the step, for the timeline.
    pub fn opinion(&self) -> Option<&str> {
        match self {
            TicketEvent::Dispatched { note, .. } if !note.is_empty() => Some(note),
            TicketEvent::Returned { reason, .. }
            | TicketEvent::ExtensionRequested { reason, .. }
            | TicketEvent::Reopened { reason }
            | TicketEvent::Escalated { reason, .. } => Some(reason),
            TicketEvent::ExtensionDecided { reason, .. } | TicketEvent::Supervised { reason, .. }
                if !reason.is_empty() =>
            {
                Some(reason)
            }
            TicketEvent::FeedbackGiven { text } => Some(text),
            TicketEvent::Replied { answer } | TicketEvent::ResolvedInGrid { answer, .. } => Some(answer),
            TicketEvent::ReturnVisited { note, .. } if !note.is_empty() => Some(note),
            _ => None,
        }
    }

    pub fn action(&self) -> &'static str {
        match self {
            TicketEvent::Received { .. } => "received",
            TicketEvent::Dispatched { .. } => "dispatched",
            TicketEvent::Signed { .. } => "signed",
            TicketEvent::Returned { .. } => "returned",
            TicketEvent::FeedbackGiven { .. } => "feedback_given",
            TicketEvent::ExtensionRequested { .. } => "extension_requested",
            TicketEvent::ExtensionDecided { .. } => "extension_decided",
            TicketEvent::Replied { .. } => "replied",
            TicketEvent::ReturnVisited { .. } => "return_visited",
            TicketEvent::Closed => "closed",
            TicketEvent::Reopened { .. } => "reopened",
            TicketEvent::Merged { .. } => "merged",
            TicketEvent::Supervised { .. } => "supervised",
            TicketEvent::Alarmed { .. } => "alarmed",
            TicketEvent::Reported { .. } => "reported",
            TicketEvent::ResolvedInGrid { .. } => "resolved_in_grid",
            TicketEvent::Escalated { .. } => "escalated",
        }
    }
}

/// One journal entry of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub event: TicketEvent,
}
