//! What callers ask of a case: a new [`Submission`] or a [`Command`], what [`Case::decide`] needs
//! besides them ([`Context`]), and why it may refuse ([`CaseError`]).

use super::*;

/// What a new application carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub subject: SubjectRef,
    pub channel: Channel,
    pub applicant: Applicant,
    #[serde(default = "empty_form")]
    pub form: Value,
    /// Materials handed in with the application.
    #[serde(default)]
    pub materials: Vec<ProvidedMaterial>,
    /// The holder agreed that their certificates be used for this application: needed when someone
    /// other than the holder (a window clerk) attaches them; the holder's own choice is consent.
    #[serde(default)]
    pub holder_consent: bool,
    /// The major project this application is a procedure of (linked by onego when it opens).
    #[serde(default)]
    pub project: Option<i64>,
}

impl Submission {
    /// The uploads a submission refers to.
    pub fn files(&self) -> Vec<FileRef> {
        self.materials.iter().filter_map(|m| m.file).collect()
    }
}

fn empty_form() -> Value {
    Value::Object(Default::default())
}

/// An item or bundle named by code; the version in force on the day is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SubjectRef {
    Item { code: Code },
    Bundle { code: Code },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Accept {
        #[serde(default)]
        received: Vec<Code>,
        #[serde(default)]
        deferred: Vec<Code>,
        #[serde(default)]
        opinion: String,
    },
    RefuseAcceptance {
        reason: String,
    },
    RequestSupplement {
        missing: Vec<MissingMaterial>,
        #[serde(default)]
        note: String,
    },
    SupplyMaterials {
        materials: Vec<Code>,
        /// Material code → the upload that carries it.
        #[serde(default)]
        files: BTreeMap<String, FileRef>,
    },
    Act {
        task: TaskId,
        action: TaskAction,
        #[serde(default)]
        return_to: Option<String>,
        #[serde(default)]
        opinion: String,
    },
    StartSpecialProcedure {
        kind: SpecialKind,
        reason: String,
    },
    EndSpecialProcedure {
        #[serde(default)]
        result: String,
    },
    /// A department asks for more time; a supervisor grants or denies it.
    RequestExtension {
        limit: Limit,
        reason: String,
    },
    DenyExtension {
        #[serde(default)]
        reason: String,
    },
    GrantExtension {
        limit: Limit,
        reason: String,
    },
    Deliver {
        delivery: DeliveryMethod,
    },
    Withdraw {
        #[serde(default)]
        reason: String,
    },
    Rate {
        level: u8,
        #[serde(default)]
        comment: String,
    },
    /// A timer fired: mark the clock if it really is in that state now.
    CheckClock {
        target: ClockTarget,
        alarm: Alarm,
    },
    /// A department looks up a decided case in the archive (云查档), saying why (查档事由).
    ConsultArchive {
        reason: String,
    },
    /// A reviewing department convenes a joint review meeting (云会商).
    ConveneMeeting {
        topic: String,
        departments: Vec<Code>,
        at: Timestamp,
        #[serde(default)]
        link: Option<String>,
    },
    /// The convening department records the minutes and each department's opinion; an opinion of a
    /// department with an open countersign task completes it.
    RecordMeeting {
        meeting: u32,
        minutes: String,
        opinions: Vec<MeetingOpinion>,
    },
    /// A task's department records remote inspection evidence on it (云勘验).
    RecordInspection {
        task: TaskId,
        evidence: Vec<Evidence>,
        #[serde(default)]
        checklist: Vec<CheckItem>,
        conclusion: String,
    },
}

impl Command {
    /// The uploads a command refers to (they must be the actor's own, or this case's already).
    pub fn files(&self) -> Vec<FileRef> {
        match self {
            Command::SupplyMaterials { files, .. } => files.values().copied().collect(),
            Command::RecordInspection { evidence, .. } => evidence.iter().map(|e| e.file).collect(),
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn kind(&self) -> CaseCommandKind {
        use CaseCommandKind as K;
        match self {
            Command::Accept { .. } => K::Accept,
            Command::RefuseAcceptance { .. } => K::RefuseAcceptance,
            Command::RequestSupplement { .. } => K::RequestSupplement,
            Command::SupplyMaterials { .. } => K::SupplyMaterials,
            Command::Act { .. } => K::Act,
            Command::StartSpecialProcedure { .. } => K::StartSpecialProcedure,
            Command::EndSpecialProcedure { .. } => K::EndSpecialProcedure,
            Command::RequestExtension { .. } => K::RequestExtension,
            Command::DenyExtension { .. } => K::DenyExtension,
            Command::GrantExtension { .. } => K::GrantExtension,
            Command::Deliver { .. } => K::Deliver,
            Command::Withdraw { .. } => K::Withdraw,
            Command::Rate { .. } => K::Rate,
            Command::CheckClock { .. } => K::CheckClock,
            Command::ConsultArchive { .. } => K::ConsultArchive,
            Command::ConveneMeeting { .. } => K::ConveneMeeting,
            Command::RecordMeeting { .. } => K::RecordMeeting,
            Command::RecordInspection { .. } => K::RecordInspection,
        }
    }
}

/// Which command, without what it carries: what a reader may issue now, and what the policy checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseCommandKind {
    Accept,
    RefuseAcceptance,
    RequestSupplement,
    SupplyMaterials,
    Act,
    StartSpecialProcedure,
    EndSpecialProcedure,
    RequestExtension,
    DenyExtension,
    GrantExtension,
    Deliver,
    Withdraw,
    Rate,
    CheckClock,
    ConsultArchive,
    ConveneMeeting,
    RecordMeeting,
    RecordInspection,
}

impl CaseCommandKind {
    /// The `command` tag the API uses for it.
    pub fn as_str(self) -> &'static str {
        use CaseCommandKind as K;
        match self {
            K::Accept => "accept",
            K::RefuseAcceptance => "refuse_acceptance",
            K::RequestSupplement => "request_supplement",
            K::SupplyMaterials => "supply_materials",
            K::Act => "act",
            K::StartSpecialProcedure => "start_special_procedure",
            K::EndSpecialProcedure => "end_special_procedure",
            K::RequestExtension => "request_extension",
            K::DenyExtension => "deny_extension",
            K::GrantExtension => "grant_extension",
            K::Deliver => "deliver",
            K::Withdraw => "withdraw",
            K::Rate => "rate",
            K::CheckClock => "check_clock",
            K::ConsultArchive => "consult_archive",
            K::ConveneMeeting => "convene_meeting",
            K::RecordMeeting => "record_meeting",
            K::RecordInspection => "record_inspection",
        }
    }
}

/// Why a command cannot be carried out. Each message says what would make it possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    NotAllowedNow(Msg),
    #[error("{0}")]
    Invalid(Msg),
    #[error("{0}")]
    NotFound(Msg),
    #[error("the catalog or process definition this case needs is missing: {0}")]
    Configuration(String),
}

pub(super) fn now_illegal<T>(message: impl Into<Msg>) -> Result<T, CaseError> {
    Err(CaseError::NotAllowedNow(message.into()))
}

pub(super) fn invalid<T>(message: impl Into<Msg>) -> Result<T, CaseError> {
    Err(CaseError::Invalid(message.into()))
}

/// What [`Case::decide`] needs besides the state and the command.
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub registry: &'a dyn Registry,
    pub calendar: &'a WorkingCalendar,
    pub policy: ClockPolicy,
}
