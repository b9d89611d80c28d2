//! Requests (诉求, tickets) of the 12345 hotline and grid events: the closed loop
//! received → dispatched → signed (or returned) → replied → return visit → closed (or reopened).
//!
//! Like a case, a ticket is decided by a pure `decide` that emits entries and an `apply` that folds them;
//! its limits are `onego_calendar` clocks, so warnings, overdue marks and timers work as they do for cases.

use onego_calendar::{Clock, ClockPolicy, ClockState, Limit, Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};

use crate::case::Alarm;
use crate::org::Actor;
use crate::values::{Code, Mobile};

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

impl TicketType {
    pub fn zh(self) -> &'static str {
        match self {
            TicketType::Enquiry => "咨询",
            TicketType::Help => "求助",
            TicketType::Complaint => "投诉",
            TicketType::Report => "举报",
            TicketType::Suggestion => "建议",
        }
    }
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

    pub fn zh(self) -> &'static str {
        match self {
            TicketStatus::Received => "待派单",
            TicketStatus::Dispatched => "待签收",
            TicketStatus::Handling => "办理中",
            TicketStatus::Replied => "待回访",
            TicketStatus::Closed => "已办结",
            TicketStatus::Merged => "已并单",
        }
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
    pub fn zh(self) -> &'static str {
        match self {
            SupervisionLevel::Urge => "催办",
            SupervisionLevel::Supervise => "督办",
            SupervisionLevel::Listed => "挂牌督办",
        }
    }

    fn next(self) -> Option<SupervisionLevel> {
        match self {
            SupervisionLevel::Urge => Some(SupervisionLevel::Supervise),
            SupervisionLevel::Supervise => Some(SupervisionLevel::Listed),
            SupervisionLevel::Listed => None,
        }
    }
}

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

fn now_illegal<T>(m: impl Into<String>) -> Result<T, TicketError> {
    Err(TicketError::NotAllowedNow(m.into()))
}

fn invalid<T>(m: impl Into<String>) -> Result<T, TicketError> {
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

/// What `decide` needs besides the state and the command.
pub struct TicketContext<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub calendar: &'a WorkingCalendar,
    pub policy: ClockPolicy,
    /// The governance areas, for escalation up the grid levels.
    pub areas: &'a [crate::grid::Area],
}

impl Ticket {
    /// Registers a request; validates what the requester can get wrong.
    pub fn receive(
        id: i64,
        number: String,
        intake: Intake,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<(Ticket, TicketEntry), TicketError> {
        let content = intake.content.trim();
        if content.chars().count() < 4 {
            return invalid("describe the matter in a few words (at least 4 characters)");
        }
        if content.chars().count() > 4_000 {
            return invalid("the description is longer than 4,000 characters; attach documents instead");
        }
        if intake.category.level1.trim().is_empty() || intake.category.level2.trim().is_empty() {
            return invalid("choose a category (both levels)");
        }
        if let Some(l) = &intake.location
            && (!(-90.0..=90.0).contains(&l.lat) || !(-180.0..=180.0).contains(&l.lon))
        {
            return invalid("the coordinates are out of range: latitude −90…90, longitude −180…180");
        }
        let entry = TicketEntry {
            at: now,
            actor: actor.clone(),
            event: TicketEvent::Received {
                channel: intake.channel,
                kind: intake.kind,
                category: intake.category.clone(),
                content: content.to_owned(),
                location: intake.location.clone(),
                requester: intake.requester.clone(),
                urgency: intake.urgency,
                attachments: intake.attachments.clone(),
                attributes: intake.attributes.clone(),
            },
        };
        let mut summoned: Vec<Code> = Vec::new();
        for d in &intake.summoned {
            if !summoned.contains(d) {
                summoned.push(d.clone());
            }
        }
        // A grid event starts with its grid; everything else goes to the centre.
        let holder = match intake.channel {
            TicketChannel::Grid => intake.grid.clone(),
            _ => None,
        };
        let ticket = Ticket {
            id,
            number,
            channel: intake.channel,
            kind: intake.kind,
            category: intake.category,
            content: content.to_owned(),
            location: intake.location,
            requester: intake.requester,
            urgency: intake.urgency,
            attachments: intake.attachments,
            status: TicketStatus::Received,
            received_at: now,
            lead: None,
            assisting: Vec::new(),
            sla: None,
            dispatched_at: None,
            signed_at: None,
            first_feedback_at: None,
            replied_at: None,
            closed_at: None,
            answer: None,
            extensions: Vec::new(),
            pending_extension: None,
            returns: 0,
            reopens: 0,
            satisfaction: None,
            solved: None,
            merged_into: None,
            supervision: None,
            alarms: Vec::new(),
            grid: intake.grid,
            holder,
            summoned,
            reports: Vec::new(),
            attributes: intake.attributes,
            version: 1,
        };
        Ok((ticket, entry))
    }

    /// The clock of one of the SLA's limits, when it is running or has run.
    pub fn clock(&self, which: TicketClock) -> Option<Clock> {
        let sla = self.sla.as_ref()?;
        let dispatched = self.dispatched_at?;
        Some(match which {
            TicketClock::Response => Clock::new(dispatched, sla.response),
            TicketClock::Feedback => Clock::new(self.signed_at?, sla.feedback),
            TicketClock::Solve => Clock {
                start: dispatched,
                limit: sla.solve,
                pauses: Vec::new(),
                extensions: self.extensions.clone(),
            },
        })
    }

    /// When a clock stopped counting (its goal met), if it has.
    fn clock_met(&self, which: TicketClock) -> Option<Timestamp> {
        match which {
            // A whistle is answered when every department named has reported.
            TicketClock::Response if !self.summoned.is_empty() => {
                let all = self
                    .summoned
                    .iter()
                    .all(|d| self.reports.iter().any(|(r, _)| r == d));
                if all {
                    self.reports.iter().map(|(_, at)| *at).max()
                } else {
                    None
                }
            }
            TicketClock::Response => self.signed_at,
            TicketClock::Feedback => self.first_feedback_at.or(self.replied_at),
            TicketClock::Solve => self.replied_at,
        }
    }

    /// Reads a clock at `now`, or at the instant its goal was met.
    pub fn read(
        &self,
        which: TicketClock,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
        now: Timestamp,
    ) -> Option<onego_calendar::ClockReading> {
        let at = self.clock_met(which).unwrap_or(now);
        self.clock(which)?.read(calendar, policy, at).ok()
    }

    /// Timers the store should hold: warning and overdue of every running clock not yet marked.
    pub fn timers(
        &self,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
    ) -> Vec<(TicketClock, Alarm, Timestamp)> {
        let mut out = Vec::new();
        if matches!(self.status, TicketStatus::Closed | TicketStatus::Merged) {
            return out;
        }
        for which in [TicketClock::Response, TicketClock::Feedback, TicketClock::Solve] {
            if self.clock_met(which).is_some() {
                continue;
            }
            let Some(clock) = self.clock(which) else { continue };
            let Ok(r) = clock.read(calendar, policy, clock.start) else {
                continue;
            };
            for (alarm, at) in [(Alarm::Warning, r.warning_at), (Alarm::Overdue, r.due)] {
                if let Some(at) = at
                    && !self.alarms.contains(&(which, alarm))
                {
                    out.push((which, alarm, at));
                }
            }
        }
        out
    }

    pub fn decide(
        &self,
        ctx: &TicketContext<'_>,
        cmd: &TicketCommand,
    ) -> Result<Vec<TicketEntry>, TicketError> {
        let mut out = Vec::new();
        let emit = |out: &mut Vec<TicketEntry>, event| {
            out.push(TicketEntry {
                at: ctx.now,
                actor: ctx.actor.clone(),
                event,
            })
        };
        let status = self.status;
        if matches!(status, TicketStatus::Merged) && !matches!(cmd, TicketCommand::CheckClock { .. }) {
            return now_illegal("this request was merged into another; act on that one");
        }
        match cmd {
            TicketCommand::Dispatch {
                lead,
                assisting,
                sla,
                note,
            } => {
                if status != TicketStatus::Received {
                    return now_illegal(format!(
                        "only a request waiting for dispatch can be dispatched; it is {}",
                        status.zh()
                    ));
                }
                if assisting.contains(lead) {
                    return invalid("the lead department cannot also assist");
                }
                emit(
                    &mut out,
                    TicketEvent::Dispatched {
                        lead: lead.clone(),
                        assisting: assisting.clone(),
                        sla: sla.clone(),
                        note: note.trim().to_owned(),
                    },
                );
            }
            TicketCommand::Sign => {
                if status != TicketStatus::Dispatched {
                    return now_illegal(format!(
                        "only a dispatched request can be signed; it is {}",
                        status.zh()
                    ));
                }
                let department = ctx
                    .actor
                    .department
                    .clone()
                    .ok_or_else(|| TicketError::Invalid("sign as a department".into()))?;
                emit(&mut out, TicketEvent::Signed { department });
            }
            TicketCommand::Return { reason } => {
                if status != TicketStatus::Dispatched {
                    return now_illegal("a request can be returned only before it is signed");
                }
                if reason.trim().is_empty() {
                    return invalid(
                        "say why the request is not yours (退单理由), so the dispatcher can reassign it",
                    );
                }
                // A return after the response deadline is refused: the department must handle it.
                if let Some(r) = self.read(TicketClock::Response, ctx.calendar, ctx.policy, ctx.now)
                    && r.state == ClockState::Overdue
                {
                    return now_illegal("the time to return this request has passed; sign it and handle it");
                }
                let department = ctx
                    .actor
                    .department
                    .clone()
                    .ok_or_else(|| TicketError::Invalid("return as a department".into()))?;
                emit(
                    &mut out,
                    TicketEvent::Returned {
                        department,
                        reason: reason.trim().to_owned(),
                    },
                );
            }
            TicketCommand::GiveFeedback { text } => {
                if status != TicketStatus::Handling {
                    return now_illegal("feedback is given while handling");
                }
                if text.trim().is_empty() {
                    return invalid("write the feedback to the requester");
                }
                emit(
                    &mut out,
                    TicketEvent::FeedbackGiven {
                        text: text.trim().to_owned(),
                    },
                );
            }
            TicketCommand::RequestExtension { limit, reason } => {
                if status != TicketStatus::Handling {
                    return now_illegal("more time can be asked only while handling");
                }
                if self.pending_extension.is_some() {
                    return now_illegal("a request for more time is already waiting for the centre");
                }
                if reason.trim().is_empty() {
                    return invalid("give the reason for more time");
                }
                let Some(sla) = &self.sla else {
                    return now_illegal("not dispatched");
                };
                if !limit.same_unit(sla.solve) || limit.amount() == 0 {
                    return invalid("ask for more time in the unit of the solve limit, at least one");
                }
                if let Some(r) = self.read(TicketClock::Solve, ctx.calendar, ctx.policy, ctx.now)
                    && r.state == ClockState::Overdue
                {
                    return now_illegal("more time must be asked before the deadline");
                }
                emit(
                    &mut out,
                    TicketEvent::ExtensionRequested {
                        limit: *limit,
                        reason: reason.trim().to_owned(),
                    },
                );
            }
            TicketCommand::DecideExtension { granted, reason } => {
                if self.pending_extension.is_none() {
                    return now_illegal("no request for more time is waiting");
                }
                emit(
                    &mut out,
                    TicketEvent::ExtensionDecided {
                        granted: *granted,
                        reason: reason.trim().to_owned(),
                    },
                );
            }
            TicketCommand::Reply { answer } => {
                if status != TicketStatus::Handling {
                    return now_illegal("a request is answered while it is being handled");
                }
                if answer.trim().chars().count() < 4 {
                    return invalid("write the answer to the requester (答复内容)");
                }
                emit(
                    &mut out,
                    TicketEvent::Replied {
                        answer: answer.trim().to_owned(),
                    },
                );
            }
            TicketCommand::ReturnVisit {
                solved,
                satisfaction,
                note,
            } => {
                if status != TicketStatus::Replied {
                    return now_illegal("the return visit follows the answer");
                }
                if !(1..=5).contains(satisfaction) {
                    return invalid("satisfaction is 1 (非常不满意) to 5 (非常满意)");
                }
                emit(
                    &mut out,
                    TicketEvent::ReturnVisited {
                        solved: *solved,
                        satisfaction: *satisfaction,
                        note: note.trim().to_owned(),
                    },
                );
                if *solved {
                    emit(&mut out, TicketEvent::Closed);
                } else {
                    emit(
                        &mut out,
                        TicketEvent::Reopened {
                            reason: if note.trim().is_empty() {
                                "回访未解决".into()
                            } else {
                                note.trim().to_owned()
                            },
                        },
                    );
                    // Not solved, or dissatisfied: supervision rises.
                    emit(
                        &mut out,
                        TicketEvent::Supervised {
                            level: self.next_supervision(),
                            reason: "回访未解决".into(),
                        },
                    );
                }
            }
            TicketCommand::Merge { into } => {
                if *into == self.id {
                    return invalid("a request cannot be merged into itself");
                }
                if matches!(status, TicketStatus::Closed) {
                    return now_illegal("a closed request is not merged");
                }
                emit(&mut out, TicketEvent::Merged { into: *into });
            }
            TicketCommand::Supervise { reason } => {
                if matches!(status, TicketStatus::Closed | TicketStatus::Received) {
                    return now_illegal("supervision applies to requests that are with a department");
                }
                if self.supervision == Some(SupervisionLevel::Listed) {
                    return now_illegal("this request is already under listed supervision (挂牌督办)");
                }
                emit(
                    &mut out,
                    TicketEvent::Supervised {
                        level: self.next_supervision(),
                        reason: reason.trim().to_owned(),
                    },
                );
            }
            TicketCommand::Report => {
                if !matches!(status, TicketStatus::Dispatched | TicketStatus::Handling) {
                    return now_illegal("a department reports while the request is with departments");
                }
                let Some(department) = ctx.actor.department.clone() else {
                    return invalid("report as a department");
                };
                if !self.summoned.contains(&department) && !self.assisting.contains(&department) {
                    return now_illegal("only a department named on the request reports to it");
                }
                if self.reports.iter().any(|(d, _)| *d == department) {
                    return now_illegal("your department has already reported");
                }
                emit(&mut out, TicketEvent::Reported { department });
            }
            TicketCommand::ResolveInGrid { answer } => {
                let Some(area) = self.holder.clone().filter(|_| status == TicketStatus::Received) else {
                    return now_illegal(
                        "only a matter held in a grid, community or street is resolved there",
                    );
                };
                if answer.trim().chars().count() < 4 {
                    return invalid("say how the matter was resolved (处置情况)");
                }
                emit(
                    &mut out,
                    TicketEvent::ResolvedInGrid {
                        area,
                        answer: answer.trim().to_owned(),
                    },
                );
            }
            TicketCommand::Escalate { reason } => {
                let Some(from) = self.holder.clone().filter(|_| status == TicketStatus::Received) else {
                    return now_illegal("only a matter held in a grid, community or street is escalated");
                };
                if reason.trim().is_empty() {
                    return invalid("say why the matter needs the level above (上报理由)");
                }
                let to = ctx
                    .areas
                    .iter()
                    .find(|a| a.code == from)
                    .and_then(|a| a.parent.clone())
                    .filter(|p| {
                        // The region level is the grid centre: it dispatches, so the matter leaves the grid levels.
                        ctx.areas
                            .iter()
                            .any(|a| a.code == *p && a.level != crate::grid::GridLevel::Region)
                    });
                emit(
                    &mut out,
                    TicketEvent::Escalated {
                        from,
                        to,
                        reason: reason.trim().to_owned(),
                    },
                );
            }
            TicketCommand::CheckClock { clock, alarm } => {
                if self.alarms.contains(&(*clock, *alarm)) || self.clock_met(*clock).is_some() {
                    return Ok(out);
                }
                let Some(r) = self.read(*clock, ctx.calendar, ctx.policy, ctx.now) else {
                    return Ok(out);
                };
                let fire = match alarm {
                    Alarm::Warning => matches!(r.state, ClockState::Warning | ClockState::Overdue),
                    Alarm::Overdue => r.state == ClockState::Overdue,
                };
                if fire {
                    emit(
                        &mut out,
                        TicketEvent::Alarmed {
                            clock: *clock,
                            alarm: *alarm,
                        },
                    );
                    if *alarm == Alarm::Overdue
                        && self.supervision.is_none_or(|s| s < SupervisionLevel::Listed)
                    {
                        emit(
                            &mut out,
                            TicketEvent::Supervised {
                                level: self.next_supervision(),
                                reason: "超期自动督办".into(),
                            },
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    fn next_supervision(&self) -> SupervisionLevel {
        match self.supervision {
            None => SupervisionLevel::Urge,
            Some(l) => l.next().unwrap_or(SupervisionLevel::Listed),
        }
    }

    pub fn apply(&mut self, entry: &TicketEntry) {
        let at = entry.at;
        match &entry.event {
            TicketEvent::Received { .. } => {}
            TicketEvent::Dispatched {
                lead, assisting, sla, ..
            } => {
                self.status = TicketStatus::Dispatched;
                self.lead = Some(lead.clone());
                self.assisting = assisting.clone();
                self.sla = Some(sla.clone());
                self.dispatched_at = Some(at);
                self.signed_at = None;
                self.holder = None;
            }
            TicketEvent::Signed { department } => {
                self.status = TicketStatus::Handling;
                self.signed_at = Some(at);
                if self.summoned.contains(department) && !self.reports.iter().any(|(d, _)| d == department) {
                    self.reports.push((department.clone(), at));
                }
            }
            TicketEvent::Reported { department } => {
                if !self.reports.iter().any(|(d, _)| d == department) {
                    self.reports.push((department.clone(), at));
                }
            }
            TicketEvent::ResolvedInGrid { answer, .. } => {
                self.status = TicketStatus::Replied;
                self.replied_at = Some(at);
                self.answer = Some(answer.clone());
            }
            TicketEvent::Escalated { to, .. } => self.holder = to.clone(),
            TicketEvent::Returned { .. } => {
                self.status = TicketStatus::Received;
                self.lead = None;
                self.assisting.clear();
                self.dispatched_at = None;
                self.returns += 1;
                self.alarms.clear();
            }
            TicketEvent::FeedbackGiven { .. } => {
                self.first_feedback_at.get_or_insert(at);
            }
            TicketEvent::ExtensionRequested { limit, reason } => {
                self.pending_extension = Some((*limit, reason.clone()))
            }
            TicketEvent::ExtensionDecided { granted, reason } => {
                if let Some((limit, asked)) = self.pending_extension.take()
                    && *granted
                {
                    self.extensions.push(onego_calendar::Extension {
                        limit,
                        reason: if reason.is_empty() { asked } else { reason.clone() },
                        approver: entry.actor.name.clone(),
                    });
                    // A new deadline: its warning and overdue marks start afresh.
                    self.alarms.retain(|(c, _)| *c != TicketClock::Solve);
                }
            }
            TicketEvent::Replied { answer } => {
                self.status = TicketStatus::Replied;
                self.replied_at = Some(at);
                self.answer = Some(answer.clone());
            }
            TicketEvent::ReturnVisited {
                solved, satisfaction, ..
            } => {
                self.solved = Some(*solved);
                self.satisfaction = Some(*satisfaction);
            }
            TicketEvent::Closed => {
                self.status = TicketStatus::Closed;
                self.closed_at = Some(at);
            }
            TicketEvent::Reopened { .. } => {
                // Back to the department that handled it; a matter solved in the grid goes to the centre.
                self.status = if self.lead.is_some() {
                    TicketStatus::Handling
                } else {
                    TicketStatus::Received
                };
                self.reopens += 1;
                self.replied_at = None;
                self.answer = None;
                self.alarms.retain(|(c, _)| *c != TicketClock::Solve);
            }
            TicketEvent::Merged { into } => {
                self.status = TicketStatus::Merged;
                self.merged_into = Some(*into);
                self.closed_at = Some(at);
            }
            TicketEvent::Supervised { level, .. } => self.supervision = Some(*level),
            TicketEvent::Alarmed { clock, alarm } => {
                if !self.alarms.contains(&(*clock, *alarm)) {
                    self.alarms.push((*clock, *alarm));
                }
                if *alarm == Alarm::Overdue && !self.alarms.contains(&(*clock, Alarm::Warning)) {
                    self.alarms.push((*clock, Alarm::Warning));
                }
            }
        }
    }
}
