//! What happened to a case: the events recorded in the journal, one [`Entry`] each.

use super::*;

/// What happened to a case. Each is recorded in the journal with its actor and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Submitted {
        subject: Subject,
        title: String,
        department: Code,
        channel: Channel,
        applicant: Applicant,
        form: Value,
        materials: Vec<ProvidedMaterial>,
        handling: Handling,
        promised_limit: Limit,
        legal_limit: Limit,
        flows: Vec<Flow>,
        /// The major project it is a procedure of.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<i64>,
    },
    Accepted {
        received: Vec<ProvidedMaterial>,
        deferred: Vec<Code>,
        opinion: String,
    },
    NotAccepted {
        reason: String,
    },
    SupplementRequested {
        request: SupplementRequest,
    },
    MaterialsSupplied {
        materials: Vec<ProvidedMaterial>,
        /// True when this completes a pending supplement request.
        completes_supplement: bool,
    },
    TaskOpened {
        task: Task,
    },
    TaskCompleted {
        task: TaskId,
        action: TaskAction,
        #[serde(default)]
        return_to: Option<String>,
        opinion: String,
    },
    TaskCancelled {
        task: TaskId,
    },
    AutoDecided {
        flow: usize,
        node: String,
        rule: String,
        passed: bool,
        /// The data the rule read: each field it names with the value it found (null: missing).
        #[serde(default)]
        read: BTreeMap<String, serde_json::Value>,
    },
    ChoiceTaken {
        flow: usize,
        node: String,
        next: String,
    },
    BranchArrived {
        flow: usize,
        join: String,
    },
    BranchesJoined {
        flow: usize,
        join: String,
    },
    FlowEnded {
        flow: usize,
        outcome: Outcome,
    },
    Decided {
        outcome: CaseOutcome,
        reason: String,
    },
    SpecialProcedureStarted {
        kind: SpecialKind,
        reason: String,
    },
    SpecialProcedureEnded {
        result: String,
    },
    ExtensionRequested {
        request: ExtensionRequest,
    },
    ExtensionDenied {
        reason: String,
    },
    ExtensionGranted {
        extension: Extension,
    },
    Delivered {
        delivery: DeliveryMethod,
    },
    Withdrawn {
        reason: String,
    },
    Rated {
        level: u8,
        comment: String,
    },
    Alarmed {
        target: ClockTarget,
        alarm: Alarm,
    },
    /// The applicant was reminded that the result waits to be collected (云提醒).
    CollectionReminded,
    /// A department looked the case up in the archive, and why.
    ArchiveConsulted {
        reason: String,
    },
    /// A joint review meeting was convened (云会商).
    MeetingConvened {
        meeting: Meeting,
    },
    /// Its minutes and the departments' opinions.
    MeetingHeld {
        meeting: u32,
        minutes: String,
        opinions: Vec<MeetingOpinion>,
    },
    /// Remote inspection evidence on a task (云勘验).
    InspectionRecorded {
        inspection: Inspection,
    },
}

impl Event {
    /// The short machine name, as the journal's action column stores it.
    pub fn action(&self) -> &'static str {
        match self {
            Event::Submitted { .. } => "submitted",
            Event::Accepted { .. } => "accepted",
            Event::NotAccepted { .. } => "not_accepted",
            Event::SupplementRequested { .. } => "supplement_requested",
            Event::MaterialsSupplied { .. } => "materials_supplied",
            Event::TaskOpened { .. } => "task_opened",
            Event::TaskCompleted { .. } => "task_completed",
            Event::TaskCancelled { .. } => "task_cancelled",
            Event::AutoDecided { .. } => "auto_decided",
            Event::ChoiceTaken { .. } => "choice_taken",
            Event::BranchArrived { .. } => "branch_arrived",
            Event::BranchesJoined { .. } => "branches_joined",
            Event::FlowEnded { .. } => "flow_ended",
            Event::Decided { .. } => "decided",
            Event::SpecialProcedureStarted { .. } => "special_procedure_started",
            Event::SpecialProcedureEnded { .. } => "special_procedure_ended",
            Event::ExtensionRequested { .. } => "extension_requested",
            Event::ExtensionDenied { .. } => "extension_denied",
            Event::ExtensionGranted { .. } => "extension_granted",
            Event::Delivered { .. } => "delivered",
            Event::Withdrawn { .. } => "withdrawn",
            Event::Rated { .. } => "rated",
            Event::Alarmed { .. } => "alarmed",
            Event::CollectionReminded => "collection_reminded",
            Event::ArchiveConsulted { .. } => "archive_consulted",
            Event::MeetingConvened { .. } => "meeting_convened",
            Event::MeetingHeld { .. } => "meeting_held",
            Event::InspectionRecorded { .. } => "inspection_recorded",
        }
    }

    /// The opinion or reason a person gave, for the timeline.
    pub fn opinion(&self) -> Option<&str> {
        let text = match self {
            Event::Accepted { opinion, .. } | Event::TaskCompleted { opinion, .. } => opinion,
            Event::NotAccepted { reason }
            | Event::Decided { reason, .. }
            | Event::SpecialProcedureStarted { reason, .. }
            | Event::Withdrawn { reason }
            | Event::ArchiveConsulted { reason } => reason,
            Event::SupplementRequested { request } => &request.note,
            Event::SpecialProcedureEnded { result } => result,
            Event::ExtensionGranted { extension } => &extension.reason,
            Event::ExtensionRequested { request } => &request.reason,
            Event::ExtensionDenied { reason } => reason,
            Event::Rated { comment, .. } => comment,
            Event::MeetingConvened { meeting } => &meeting.topic,
            Event::MeetingHeld { minutes, .. } => minutes,
            Event::InspectionRecorded { inspection } => &inspection.conclusion,
            _ => return None,
        };
        (!text.is_empty()).then_some(text.as_str())
    }
}

/// An event with who did it and when: one journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub at: Timestamp,
    pub actor: Actor,
    pub event: Event,
}
