//! A request's state and the vocabulary it is described in: channels, kinds, urgency, categories,
//! requesters, SLA profiles, status, clocks and supervision levels.

use super::*;

/// How a request reached the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketChannel {
    Phone,
    Web,
    App,
    Grid,
    Enterprise,
    /// Through the Open311 GeoReport v2 API (a city app, a partner's client).
    Open311,
}

/// 咨询 / 求助 / 投诉 / 举报 / 建议.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketType {
    Enquiry,
    Help,
    Complaint,
    Report,
    Suggestion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Normal,
    Urgent,
    Emergency,
}

/// A two-level category: 城市管理 / 占道经营. The code is the Open311 `service_code`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Category {
    pub code: Code,
    pub level1: String,
    pub level2: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub address: String,
}

/// Who asked. Anonymous requests carry no contact; contact details are shown only to those who need them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<Mobile>,
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The requester agreed to be told by SMS at `phone` how the request goes (asked on every form,
    /// never preselected); without it the phone serves only the return visit.
    #[serde(default)]
    pub notify: bool,
}

impl Requester {
    pub fn is_anonymous(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.user_id.is_none()
    }
}

/// An SLA profile, as data: "2110" is on site (response) in 2 hours, first feedback in 1 working day,
/// solved in 10 working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaProfile {
    pub code: Code,
    pub name: String,
    /// Sign (and for on-site matters, arrive) within this after dispatch.
    pub response: Limit,
    /// First feedback to the requester within this after signing.
    pub feedback: Limit,
    /// Solved (replied) within this after dispatch.
    pub solve: Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Registered, waiting for dispatch (or returned to the dispatcher).
    Received,
    /// Sent to a lead department, waiting for it to sign.
    Dispatched,
    /// Signed: the department is handling it.
    Handling,
    /// Answered; waiting for the return visit.
    Replied,
    Closed,
    /// Folded into another ticket about the same thing (并单).
    Merged,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 6] = [
        TicketStatus::Received,
        TicketStatus::Dispatched,
        TicketStatus::Handling,
        TicketStatus::Replied,
        TicketStatus::Closed,
        TicketStatus::Merged,
    ];

    /// Still with someone (not closed or merged): Open311's `open`.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Closed | TicketStatus::Merged)
    }

    pub fn parse(text: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Received => "received",
            TicketStatus::Dispatched => "dispatched",
            TicketStatus::Handling => "handling",
            TicketStatus::Replied => "replied",
            TicketStatus::Closed => "closed",
            TicketStatus::Merged => "merged",
        }
    }
}

/// A task a request opens in an inbox while it waits on someone (one of each kind at a time; every
/// assisting or summoned department has its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketTask {
    /// The centre dispatches it (派单).
    Dispatch,
    /// The lead department signs for it (签收).
    Sign,
    /// The lead department handles it (办理).
    Handle,
    /// The centre calls the requester back (回访).
    Visit,
    /// The centre decides a request for more time (延期审核).
    ExtensionReview,
    /// The grid level holding it resolves or escalates it (网格处置).
    GridHandling,
    /// An assisting department helps (协办).
    Assist,
    /// A summoned department reports in (报到).
    Report,
}

impl TicketTask {
    pub const ALL: [TicketTask; 8] = [
        TicketTask::Dispatch,
        TicketTask::Sign,
        TicketTask::Handle,
        TicketTask::Visit,
        TicketTask::ExtensionReview,
        TicketTask::GridHandling,
        TicketTask::Assist,
        TicketTask::Report,
    ];

    /// The code stored in a task row.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketTask::Dispatch => "dispatch",
            TicketTask::Sign => "sign",
            TicketTask::Handle => "handle",
            TicketTask::Visit => "visit",
            TicketTask::ExtensionReview => "extension_review",
            TicketTask::GridHandling => "grid_handling",
            TicketTask::Assist => "assist",
            TicketTask::Report => "report",
        }
    }

    pub fn parse(text: &str) -> Option<TicketTask> {
        TicketTask::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// Which of a ticket's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketClock {
    Response,
    Feedback,
    Solve,
}

/// 督办 levels: 催办 (urge), 督办 (supervise), 挂牌督办 (listed supervision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    Urge,
    Supervise,
    Listed,
}

impl SupervisionLevel {
    pub(super) fn next(self) -> Option<SupervisionLevel> {
        match self {
            SupervisionLevel::Urge => Some(SupervisionLevel::Supervise),
            SupervisionLevel::Supervise => Some(SupervisionLevel::Listed),
            SupervisionLevel::Listed => None,
        }
    }
}

/// The state of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    pub channel: TicketChannel,
    pub kind: TicketType,
    pub category: Category,
    pub content: String,
    pub location: Option<Location>,
    pub requester: Requester,
    pub urgency: Urgency,
    pub attachments: Vec<String>,
    pub status: TicketStatus,
    pub received_at: Timestamp,
    pub lead: Option<Code>,
    pub assisting: Vec<Code>,
    pub sla: Option<SlaProfile>,
    pub dispatched_at: Option<Timestamp>,
    pub signed_at: Option<Timestamp>,
    pub first_feedback_at: Option<Timestamp>,
    pub replied_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub answer: Option<String>,
    pub extensions: Vec<onego_calendar::Extension>,
    pub pending_extension: Option<(Limit, String)>,
    pub returns: u32,
    pub reopens: u32,
    pub satisfaction: Option<u8>,
    pub solved: Option<bool>,
    pub merged_into: Option<i64>,
    pub supervision: Option<SupervisionLevel>,
    pub alarms: Vec<(TicketClock, Alarm)>,
    /// The grid the matter lies in.
    #[serde(default)]
    pub grid: Option<Code>,
    /// While the matter is handled within the grid levels: the area holding it (grid, community,
    /// street). `None` once it is with the centre or a department.
    #[serde(default)]
    pub holder: Option<Code>,
    #[serde(default)]
    pub summoned: Vec<Code>,
    /// Departments that reported (报到), and when.
    #[serde(default)]
    pub reports: Vec<(Code, Timestamp)>,
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
    pub version: u64,
}
