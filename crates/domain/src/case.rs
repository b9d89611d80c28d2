//! The case (办件): one application for an item or a bundle, from submission to delivery.
//!
//! Commands are decided against the current state by the pure [`Case::decide`], which returns the
//! journal entries (events) to record; [`Case::apply`] folds an entry into the state. `decide` works on a
//! scratch copy and applies each event as it emits it, so the process engine always sees the state its
//! previous events produced, and there is exactly one place (`apply`) that changes a case.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use onego_calendar::{Clock, ClockPolicy, ClockState, Extension, Limit, Pause, Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{Bundle, Handling, MaterialSpec, Necessity, ServiceItem};
use crate::org::Actor;
use crate::process::{ITEM_DEPARTMENT, NodeKind, Outcome, ProcessDefinition, TaskAction};
use crate::values::{ApplicantId, CaseNumber, Code, FileRef, Mobile};

pub type CaseId = i64;
pub type TaskId = u32;

/// Looks up catalog entries and process definitions. A running case names exact versions, so it keeps
/// the versions it started with.
pub trait Registry: Sync {
    fn item(&self, code: &Code, on: NaiveDate) -> Option<&ServiceItem>;
    fn item_version(&self, code: &Code, version: u32) -> Option<&ServiceItem>;
    fn bundle(&self, code: &Code, on: NaiveDate) -> Option<&Bundle>;
    fn process(&self, code: &Code, version: u32) -> Option<&ProcessDefinition>;
    fn latest_process(&self, code: &Code) -> Option<&ProcessDefinition>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    Item { code: Code, version: u32 },
    Bundle { code: Code, version: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Online,
    Window,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub id: ApplicantId,
    pub name: String,
    #[serde(default)]
    pub mobile: Option<Mobile>,
    /// The onego user who applied, when they applied online.
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// A material as the case holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidedMaterial {
    pub code: Code,
    pub at: Timestamp,
    /// Stored upload, when it came as a file.
    #[serde(default)]
    pub file: Option<FileRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Waiting for the window to accept (or for a supplement before acceptance).
    Submitted,
    /// 不予受理.
    NotAccepted,
    /// Accepted; the process is running.
    InReview,
    /// Decided; waiting for delivery.
    Decided,
    /// Result delivered (办结, 出件).
    Delivered,
    Withdrawn,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "submitted",
            CaseStatus::NotAccepted => "not_accepted",
            CaseStatus::InReview => "in_review",
            CaseStatus::Decided => "decided",
            CaseStatus::Delivered => "delivered",
            CaseStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "待受理",
            CaseStatus::NotAccepted => "不予受理",
            CaseStatus::InReview => "审查中",
            CaseStatus::Decided => "已决定待出件",
            CaseStatus::Delivered => "已办结",
            CaseStatus::Withdrawn => "已撤回",
        }
    }

    pub fn parse(text: &str) -> Option<CaseStatus> {
        [
            CaseStatus::Submitted,
            CaseStatus::NotAccepted,
            CaseStatus::InReview,
            CaseStatus::Decided,
            CaseStatus::Delivered,
            CaseStatus::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The decision of a whole case. A bundle whose members were decided differently is `Partial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    Approved,
    Refused,
    Partial,
}

impl CaseOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseOutcome::Approved => "approved",
            CaseOutcome::Refused => "refused",
            CaseOutcome::Partial => "partial",
        }
    }
}

/// One member item's run through its process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub item: Code,
    pub item_version: u32,
    pub item_name: String,
    pub department: Code,
    pub process: Code,
    pub process_version: u32,
    /// Tokens that have arrived at each join and are waiting for their siblings.
    #[serde(default)]
    pub join_arrivals: BTreeMap<String, u32>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskState {
    Open,
    Done {
        action: TaskAction,
        by: String,
        at: Timestamp,
    },
    Cancelled {
        at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub flow: usize,
    pub node: String,
    pub name: String,
    pub department: Code,
    #[serde(default)]
    pub role: Option<String>,
    pub limit: Limit,
    pub opened_at: Timestamp,
    /// Countersign tasks opened together share the id of the first.
    #[serde(default)]
    pub group: Option<TaskId>,
    pub state: TaskState,
    #[serde(default)]
    pub warned: bool,
    #[serde(default)]
    pub overdue: bool,
}

impl Task {
    pub fn is_open(&self) -> bool {
        self.state == TaskState::Open
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingMaterial {
    pub code: Code,
    pub name: String,
    /// Why it is needed or what is wrong with what was given.
    pub reason: String,
}

/// 一次性告知: everything missing, said once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRequest {
    pub missing: Vec<MissingMaterial>,
    pub note: String,
    pub at: Timestamp,
    /// True when asked before acceptance (the case clock has not started).
    pub before_acceptance: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialKind {
    /// 听证
    Hearing,
    /// 检验检测检疫
    Testing,
    /// 专家评审
    ExpertReview,
    /// 现场勘验
    Inspection,
}

impl SpecialKind {
    pub fn zh(self) -> &'static str {
        match self {
            SpecialKind::Hearing => "听证",
            SpecialKind::Testing => "检验检测",
            SpecialKind::ExpertReview => "专家评审",
            SpecialKind::Inspection => "现场勘验",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DeliveryMethod {
    Window,
    Mail { tracking_number: String },
    Electronic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockTarget {
    Case,
    Task(TaskId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    Warning,
    Overdue,
}

impl Alarm {
    pub fn as_str(self) -> &'static str {
        match self {
            Alarm::Warning => "warning",
            Alarm::Overdue => "overdue",
        }
    }
}

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
        }
    }

    /// The opinion or reason a person gave, for the timeline.
    pub fn opinion(&self) -> Option<&str> {
        let text = match self {
            Event::Accepted { opinion, .. } | Event::TaskCompleted { opinion, .. } => opinion,
            Event::NotAccepted { reason }
            | Event::Decided { reason, .. }
            | Event::SpecialProcedureStarted { reason, .. }
            | Event::Withdrawn { reason } => reason,
            Event::SupplementRequested { request } => &request.note,
            Event::SpecialProcedureEnded { result } => result,
            Event::ExtensionGranted { extension } => &extension.reason,
            Event::ExtensionRequested { request } => &request.reason,
            Event::ExtensionDenied { reason } => reason,
            Event::Rated { comment, .. } => comment,
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
}

impl Command {
    /// The uploads a command refers to (they must be the actor's own, or this case's already).
    pub fn files(&self) -> Vec<FileRef> {
        match self {
            Command::SupplyMaterials { files, .. } => files.values().copied().collect(),
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Command::Accept { .. } => "accept",
            Command::RefuseAcceptance { .. } => "refuse_acceptance",
            Command::RequestSupplement { .. } => "request_supplement",
            Command::SupplyMaterials { .. } => "supply_materials",
            Command::Act { .. } => "act",
            Command::StartSpecialProcedure { .. } => "start_special_procedure",
            Command::EndSpecialProcedure { .. } => "end_special_procedure",
            Command::RequestExtension { .. } => "request_extension",
            Command::DenyExtension { .. } => "deny_extension",
            Command::GrantExtension { .. } => "grant_extension",
            Command::Deliver { .. } => "deliver",
            Command::Withdraw { .. } => "withdraw",
            Command::Rate { .. } => "rate",
            Command::CheckClock { .. } => "check_clock",
        }
    }
}

/// Why a command cannot be carried out. Each message says what would make it possible.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("{0}")]
    NotAllowedNow(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the catalog or process definition this case needs is missing: {0}")]
    Configuration(String),
}

fn now_illegal<T>(message: impl Into<String>) -> Result<T, CaseError> {
    Err(CaseError::NotAllowedNow(message.into()))
}

fn invalid<T>(message: impl Into<String>) -> Result<T, CaseError> {
    Err(CaseError::Invalid(message.into()))
}

/// A department's request for more time (延期申请), waiting for a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub limit: Limit,
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// A pending 特别程序.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialProcedure {
    pub kind: SpecialKind,
    pub reason: String,
    pub since: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub level: u8,
    pub comment: String,
    pub at: Timestamp,
}

/// The state of a case, folded from its journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub number: CaseNumber,
    pub subject: Subject,
    pub title: String,
    /// Implementing department of an item; lead department of a bundle.
    pub department: Code,
    pub channel: Channel,
    pub applicant: Applicant,
    pub form: Value,
    pub materials: Vec<ProvidedMaterial>,
    /// 容缺 materials still to come.
    pub deferred: Vec<Code>,
    pub status: CaseStatus,
    pub handling: Handling,
    pub promised_limit: Limit,
    pub legal_limit: Limit,
    pub submitted_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub outcome: Option<CaseOutcome>,
    pub decision_reason: Option<String>,
    pub flows: Vec<Flow>,
    pub tasks: Vec<Task>,
    pub pauses: Vec<Pause>,
    pub extensions: Vec<Extension>,
    pub supplement: Option<SupplementRequest>,
    /// A department's pending request for more time.
    #[serde(default)]
    pub extension_request: Option<ExtensionRequest>,
    pub special: Option<SpecialProcedure>,
    pub delivery: Option<DeliveryMethod>,
    pub rating: Option<Rating>,
    pub warned: bool,
    pub overdue: bool,
    /// Bumped by the store on every commit; the optimistic-concurrency check.
    pub version: u64,
}

/// What [`Case::decide`] needs besides the state and the command.
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: &'a Actor,
    pub registry: &'a dyn Registry,
    pub calendar: &'a WorkingCalendar,
    pub policy: ClockPolicy,
}

/// A durable timer the store should hold for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerSpec {
    pub target: ClockTarget,
    pub alarm: Alarm,
    pub fire_at: Timestamp,
}

impl Case {
    /// Opens a new case: checks the submission against the catalog and returns its first entries. With
    /// `accept`, a window clerk accepts it in the same step (受理 at the counter).
    pub fn open(
        ctx: &Context<'_>,
        id: CaseId,
        number: CaseNumber,
        submission: Submission,
        accept: Option<Command>,
    ) -> Result<(Case, Vec<Entry>), CaseError> {
        let today = ctx.calendar.local_date(ctx.now);
        let (subject, title, department, handling, promised, legal, items) = match &submission.subject {
            SubjectRef::Item { code } => {
                let item = ctx.registry.item(code, today).ok_or_else(|| {
                    CaseError::NotFound(format!("no service item {code} is in force today"))
                })?;
                (
                    Subject::Item {
                        code: item.impl_code.clone(),
                        version: item.version,
                    },
                    item.name.clone(),
                    item.department.clone(),
                    item.handling,
                    item.promised_limit,
                    item.legal_limit,
                    vec![item],
                )
            }
            SubjectRef::Bundle { code } => {
                let bundle = ctx
                    .registry
                    .bundle(code, today)
                    .ok_or_else(|| CaseError::NotFound(format!("no bundle {code} is in force today")))?;
                let mut items = Vec::new();
                for m in &bundle.members {
                    items.push(ctx.registry.item(m, today).ok_or_else(|| {
                        CaseError::Configuration(format!("member item {m} of bundle {code} is not in force"))
                    })?);
                }
                // A bundle is decided when its slowest member is: its legal limit is the longest member's.
                let legal = items
                    .iter()
                    .map(|i| i.legal_limit)
                    .max_by_key(|l| l.rough_natural_days())
                    .unwrap_or(bundle.promised_limit);
                (
                    Subject::Bundle {
                        code: bundle.code.clone(),
                        version: bundle.version,
                    },
                    bundle.name.clone(),
                    bundle.lead_department.clone(),
                    Handling::Promised,
                    bundle.promised_limit,
                    legal,
                    items,
                )
            }
        };
        if !submission.form.is_object() {
            return invalid("the form must be a JSON object of field values");
        }
        let known: Vec<&Code> = items
            .iter()
            .flat_map(|i| i.materials.iter().map(|m| &m.code))
            .collect();
        for m in &submission.materials {
            if !known.contains(&&m.code) {
                return invalid(format!(
                    "material {} is not one this application asks for",
                    m.code
                ));
            }
        }
        let mut flows = Vec::with_capacity(items.len());
        for item in &items {
            let def = ctx.registry.latest_process(&item.process).ok_or_else(|| {
                CaseError::Configuration(format!(
                    "process {} of item {} is missing",
                    item.process, item.impl_code
                ))
            })?;
            flows.push(Flow {
                item: item.impl_code.clone(),
                item_version: item.version,
                item_name: item.name.clone(),
                department: item.department.clone(),
                process: def.code.clone(),
                process_version: def.version,
                join_arrivals: BTreeMap::new(),
                outcome: None,
            });
        }
        let materials: Vec<ProvidedMaterial> = submission
            .materials
            .into_iter()
            .map(|m| ProvidedMaterial { at: ctx.now, ..m })
            .collect();
        let submitted = Event::Submitted {
            subject,
            title,
            department,
            channel: submission.channel,
            applicant: submission.applicant,
            form: submission.form,
            materials,
            handling,
            promised_limit: promised,
            legal_limit: legal,
            flows,
        };
        let entry = Entry {
            at: ctx.now,
            actor: ctx.actor.clone(),
            event: submitted,
        };
        let mut case = Case::from_submitted(id, number, &entry)
            .ok_or_else(|| CaseError::Configuration("a new case starts with its submission".into()))?;
        let mut entries = vec![entry];
        if let Some(cmd) = accept {
            let more = case.decide(ctx, &cmd)?;
            for e in &more {
                case.apply(e);
            }
            entries.extend(more);
        }
        Ok((case, entries))
    }

    /// The state a case starts in: everything its `Submitted` entry says.
    pub fn from_submitted(id: CaseId, number: CaseNumber, entry: &Entry) -> Option<Case> {
        let Event::Submitted {
            subject,
            title,
            department,
            channel,
            applicant,
            form,
            materials,
            handling,
            promised_limit,
            legal_limit,
            flows,
        } = &entry.event
        else {
            return None;
        };
        Some(Case {
            id,
            number,
            subject: subject.clone(),
            title: title.clone(),
            department: department.clone(),
            channel: *channel,
            applicant: applicant.clone(),
            form: form.clone(),
            materials: materials.clone(),
            deferred: Vec::new(),
            status: CaseStatus::Submitted,
            handling: *handling,
            promised_limit: *promised_limit,
            legal_limit: *legal_limit,
            submitted_at: entry.at,
            accepted_at: None,
            decided_at: None,
            delivered_at: None,
            outcome: None,
            decision_reason: None,
            flows: flows.clone(),
            tasks: Vec::new(),
            pauses: Vec::new(),
            extensions: Vec::new(),
            supplement: None,
            extension_request: None,
            special: None,
            delivery: None,
            rating: None,
            warned: false,
            overdue: false,
            version: 0,
        })
    }

    /// The items whose materials this case asks for.
    fn items<'r>(&self, registry: &'r dyn Registry) -> Result<Vec<&'r ServiceItem>, CaseError> {
        self.flows
            .iter()
            .map(|f| {
                registry.item_version(&f.item, f.item_version).ok_or_else(|| {
                    CaseError::Configuration(format!("item {} version {}", f.item, f.item_version))
                })
            })
            .collect()
    }

    fn material_specs<'r>(&self, registry: &'r dyn Registry) -> Result<Vec<&'r MaterialSpec>, CaseError> {
        let mut specs: Vec<&MaterialSpec> = Vec::new();
        for item in self.items(registry)? {
            for m in &item.materials {
                if !specs.iter().any(|s| s.code == m.code) {
                    specs.push(m);
                }
            }
        }
        Ok(specs)
    }

    pub fn has_material(&self, code: &Code) -> bool {
        self.materials.iter().any(|m| &m.code == code)
    }

    pub fn task(&self, id: TaskId) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id)
    }

    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(|t| t.is_open())
    }

    /// Decides a command: the entries to record, or why it cannot be done. Authorisation is checked
    /// before (see [`crate::policy`]); this checks what the state allows.
    pub fn decide(&self, ctx: &Context<'_>, cmd: &Command) -> Result<Vec<Entry>, CaseError> {
        let mut run = Run {
            case: self.clone(),
            entries: Vec::new(),
            ctx,
        };
        run.command(cmd)?;
        Ok(run.entries)
    }

    /// Folds one entry into the state.
    pub fn apply(&mut self, entry: &Entry) {
        let at = entry.at;
        match &entry.event {
            // The first entry builds the case (see `from_submitted`); it never recurs.
            Event::Submitted { .. } => {}
            Event::Accepted {
                received, deferred, ..
            } => {
                self.add_materials(received);
                self.deferred = deferred.clone();
                self.accepted_at = Some(at);
                self.status = CaseStatus::InReview;
                self.supplement = None;
            }
            Event::NotAccepted { reason } => {
                self.status = CaseStatus::NotAccepted;
                self.decision_reason = Some(reason.clone());
                self.decided_at = Some(at);
            }
            Event::SupplementRequested { request } => {
                if !request.before_acceptance {
                    self.pauses.push(Pause {
                        from: at,
                        until: None,
                        reason: "补正".into(),
                    });
                }
                self.supplement = Some(request.clone());
            }
            Event::MaterialsSupplied {
                materials,
                completes_supplement,
            } => {
                self.add_materials(materials);
                self.deferred.retain(|d| !materials.iter().any(|m| &m.code == d));
                if *completes_supplement
                    && let Some(req) = self.supplement.take()
                    && !req.before_acceptance
                {
                    self.close_pause("补正", at);
                }
            }
            Event::TaskOpened { task } => self.tasks.push(task.clone()),
            Event::TaskCompleted { task, action, .. } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == *task) {
                    t.state = TaskState::Done {
                        action: *action,
                        by: entry.actor.name.clone(),
                        at,
                    };
                }
            }
            Event::TaskCancelled { task } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == *task) {
                    t.state = TaskState::Cancelled { at };
                }
            }
            Event::AutoDecided { .. } | Event::ChoiceTaken { .. } => {}
            Event::BranchArrived { flow, join } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    *f.join_arrivals.entry(join.clone()).or_default() += 1;
                }
            }
            Event::BranchesJoined { flow, join } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    f.join_arrivals.remove(join);
                }
            }
            Event::FlowEnded { flow, outcome } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    f.outcome = Some(*outcome);
                }
            }
            Event::Decided { outcome, reason } => {
                self.status = CaseStatus::Decided;
                self.outcome = Some(*outcome);
                self.decision_reason = Some(reason.clone());
                self.decided_at = Some(at);
                // A decision ends every pause: nothing is left to wait for.
                for p in self.pauses.iter_mut().filter(|p| p.until.is_none()) {
                    p.until = Some(at);
                }
                self.special = None;
                self.supplement = None;
            }
            Event::SpecialProcedureStarted { kind, reason } => {
                self.pauses.push(Pause {
                    from: at,
                    until: None,
                    reason: format!("特别程序：{}", kind.zh()),
                });
                self.special = Some(SpecialProcedure {
                    kind: *kind,
                    reason: reason.clone(),
                    since: at,
                });
            }
            Event::SpecialProcedureEnded { .. } => {
                if let Some(sp) = self.special.take() {
                    self.close_pause(&format!("特别程序：{}", sp.kind.zh()), at);
                }
            }
            Event::ExtensionGranted { extension } => {
                self.extensions.push(extension.clone());
                self.extension_request = None;
            }
            Event::ExtensionRequested { request } => self.extension_request = Some(request.clone()),
            Event::ExtensionDenied { .. } => self.extension_request = None,
            Event::Delivered { delivery } => {
                self.status = CaseStatus::Delivered;
                self.delivery = Some(delivery.clone());
                self.delivered_at = Some(at);
            }
            Event::Withdrawn { .. } => {
                self.status = CaseStatus::Withdrawn;
                self.decided_at = Some(at);
                for p in self.pauses.iter_mut().filter(|p| p.until.is_none()) {
                    p.until = Some(at);
                }
            }
            Event::Rated { level, comment } => {
                self.rating = Some(Rating {
                    level: *level,
                    comment: comment.clone(),
                    at,
                });
            }
            Event::Alarmed { target, alarm } => {
                let (warned, overdue) = match target {
                    ClockTarget::Case => (&mut self.warned, &mut self.overdue),
                    ClockTarget::Task(id) => match self.tasks.iter_mut().find(|t| t.id == *id) {
                        Some(t) => (&mut t.warned, &mut t.overdue),
                        None => return,
                    },
                };
                match alarm {
                    Alarm::Warning => *warned = true,
                    Alarm::Overdue => {
                        *warned = true;
                        *overdue = true;
                    }
                }
            }
        }
    }

    fn add_materials(&mut self, materials: &[ProvidedMaterial]) {
        for m in materials {
            if let Some(existing) = self.materials.iter_mut().find(|x| x.code == m.code) {
                *existing = m.clone();
            } else {
                self.materials.push(m.clone());
            }
        }
    }

    fn close_pause(&mut self, reason: &str, at: Timestamp) {
        if let Some(p) = self
            .pauses
            .iter_mut()
            .rev()
            .find(|p| p.until.is_none() && p.reason == reason)
        {
            p.until = Some(at);
        }
    }

    /// The promised-limit clock, from acceptance.
    pub fn clock(&self) -> Option<Clock> {
        Some(Clock {
            start: self.accepted_at?,
            limit: self.promised_limit,
            pauses: self.pauses.clone(),
            extensions: self.extensions.clone(),
        })
    }

    /// The legal-limit clock, from acceptance; extensions granted by law count here too.
    pub fn legal_clock(&self) -> Option<Clock> {
        let extensions = self
            .extensions
            .iter()
            .filter(|e| e.limit.same_unit(self.legal_limit))
            .cloned()
            .collect();
        Some(Clock {
            start: self.accepted_at?,
            limit: self.legal_limit,
            pauses: self.pauses.clone(),
            extensions,
        })
    }

    /// A task's own clock: its limit from when it opened, stopped by the case's pauses.
    pub fn task_clock(&self, task: &Task) -> Clock {
        let pauses = self
            .pauses
            .iter()
            .filter(|p| p.until.is_none_or(|u| u > task.opened_at))
            .cloned()
            .collect();
        Clock {
            start: task.opened_at,
            limit: task.limit,
            pauses,
            extensions: Vec::new(),
        }
    }

    /// The instant the case's clock stops: decision (or withdrawal), else none.
    pub fn stopped_at(&self) -> Option<Timestamp> {
        self.decided_at
    }

    /// The durable timers this case needs now: warning and overdue instants of every running clock that
    /// has not yet been marked. The store replaces a case's timers with these on every commit.
    pub fn timers(&self, calendar: &WorkingCalendar, policy: ClockPolicy) -> Vec<TimerSpec> {
        let mut out = Vec::new();
        if self.status != CaseStatus::InReview {
            return out;
        }
        let mut add = |target, clock: &Clock, warned: bool, overdue: bool| {
            let Some(start) = Some(clock.start) else { return };
            if let Ok(r) = clock.read(calendar, policy, start) {
                if let (false, Some(w)) = (warned, r.warning_at) {
                    out.push(TimerSpec {
                        target,
                        alarm: Alarm::Warning,
                        fire_at: w,
                    });
                }
                if let (false, Some(d)) = (overdue, r.due) {
                    out.push(TimerSpec {
                        target,
                        alarm: Alarm::Overdue,
                        fire_at: d,
                    });
                }
            }
        };
        if let Some(clock) = self.clock()
            && !clock.is_paused()
        {
            add(ClockTarget::Case, &clock, self.warned, self.overdue);
        }
        for t in self.open_tasks() {
            let clock = self.task_clock(t);
            if !clock.is_paused() {
                add(ClockTarget::Task(t.id), &clock, t.warned, t.overdue);
            }
        }
        out
    }

    /// Reads the case clock at `now` (or at the decision, once decided).
    pub fn clock_state(
        &self,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
        now: Timestamp,
    ) -> Option<ClockState> {
        let at = self.stopped_at().unwrap_or(now);
        self.clock()
            .and_then(|c| c.read(calendar, policy, at).ok())
            .map(|r| r.state)
    }
}

/// A decision in progress: the scratch state and the entries so far.
struct Run<'c, 'a> {
    case: Case,
    entries: Vec<Entry>,
    ctx: &'c Context<'a>,
}

impl<'a> Run<'_, 'a> {
    fn emit(&mut self, event: Event) {
        let entry = Entry {
            at: self.ctx.now,
            actor: self.ctx.actor.clone(),
            event,
        };
        self.case.apply(&entry);
        self.entries.push(entry);
    }

    fn command(&mut self, cmd: &Command) -> Result<(), CaseError> {
        let status = self.case.status;
        let finished = matches!(
            status,
            CaseStatus::NotAccepted | CaseStatus::Delivered | CaseStatus::Withdrawn
        );
        match cmd {
            Command::Accept {
                received,
                deferred,
                opinion,
            } => {
                if status != CaseStatus::Submitted {
                    return now_illegal(format!(
                        "only a submitted case can be accepted; this one is {}",
                        status.zh()
                    ));
                }
                self.accept(received, deferred, opinion)
            }
            Command::RefuseAcceptance { reason } => {
                if status != CaseStatus::Submitted {
                    return now_illegal(format!(
                        "only a submitted case can be refused acceptance; this one is {}",
                        status.zh()
                    ));
                }
                if reason.trim().is_empty() {
                    return invalid(
                        "give the reason for not accepting (不予受理理由); the applicant is told it",
                    );
                }
                self.emit(Event::NotAccepted {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::RequestSupplement { missing, note } => {
                if !matches!(status, CaseStatus::Submitted | CaseStatus::InReview) {
                    return now_illegal(format!(
                        "a supplement can be asked only before a decision; this case is {}",
                        status.zh()
                    ));
                }
                if self.case.supplement.is_some() {
                    return now_illegal(
                        "a supplement request is already pending; the notice must list everything at once (一次性告知)",
                    );
                }
                if missing.is_empty() {
                    return invalid("list every missing material in the one-time notice");
                }
                let specs = self.case.material_specs(self.ctx.registry)?;
                let mut listed = Vec::with_capacity(missing.len());
                for m in missing {
                    let Some(spec) = specs.iter().find(|s| s.code == m.code) else {
                        return invalid(format!(
                            "material {} is not one this application asks for",
                            m.code
                        ));
                    };
                    if listed.iter().any(|x: &MissingMaterial| x.code == m.code) {
                        return invalid(format!("material {} is listed twice", m.code));
                    }
                    listed.push(MissingMaterial {
                        code: m.code.clone(),
                        name: if m.name.trim().is_empty() {
                            spec.name.clone()
                        } else {
                            m.name.clone()
                        },
                        reason: m.reason.clone(),
                    });
                }
                self.emit(Event::SupplementRequested {
                    request: SupplementRequest {
                        missing: listed,
                        note: note.trim().to_owned(),
                        at: self.ctx.now,
                        before_acceptance: status == CaseStatus::Submitted,
                    },
                });
                Ok(())
            }
            Command::SupplyMaterials { materials, files } => {
                if finished || status == CaseStatus::Decided && self.case.deferred.is_empty() {
                    return now_illegal(format!(
                        "no materials are expected for a case that is {}",
                        status.zh()
                    ));
                }
                if materials.is_empty() {
                    return invalid("name the materials supplied");
                }
                let specs = self.case.material_specs(self.ctx.registry)?;
                for code in materials {
                    if !specs.iter().any(|s| &s.code == code) {
                        return invalid(format!("material {code} is not one this application asks for"));
                    }
                }
                let supplied: Vec<ProvidedMaterial> = materials
                    .iter()
                    .map(|c| ProvidedMaterial {
                        code: c.clone(),
                        at: self.ctx.now,
                        file: files.get(c.as_str()).cloned(),
                    })
                    .collect();
                // Materials may arrive in several goes; the clock resumes when the last one is in.
                let completes = self.case.supplement.as_ref().is_some_and(|req| {
                    req.missing.iter().all(|m| {
                        materials.contains(&m.code)
                            || self
                                .case
                                .materials
                                .iter()
                                .any(|x| x.code == m.code && x.at >= req.at)
                    })
                });
                self.emit(Event::MaterialsSupplied {
                    materials: supplied,
                    completes_supplement: completes,
                });
                Ok(())
            }
            Command::Act {
                task,
                action,
                return_to,
                opinion,
            } => {
                if status != CaseStatus::InReview {
                    return now_illegal(format!(
                        "tasks can be acted on only while the case is in review; it is {}",
                        status.zh()
                    ));
                }
                if self.case.supplement.is_some() {
                    return now_illegal(
                        "the case waits for supplemented materials (补正); act once they arrive",
                    );
                }
                if let Some(sp) = &self.case.special {
                    return now_illegal(format!(
                        "a special procedure ({}) is under way; end it first",
                        sp.kind.zh()
                    ));
                }
                self.act(*task, *action, return_to.as_deref(), opinion)
            }
            Command::StartSpecialProcedure { kind, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal("a special procedure can start only while the case is in review");
                }
                if self.case.special.is_some() {
                    return now_illegal("a special procedure is already under way; end it first");
                }
                if reason.trim().is_empty() {
                    return invalid(
                        "give the reason for the special procedure; it is excluded from the time limit",
                    );
                }
                self.emit(Event::SpecialProcedureStarted {
                    kind: *kind,
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::EndSpecialProcedure { result } => {
                if self.case.special.is_none() {
                    return now_illegal("no special procedure is under way");
                }
                self.emit(Event::SpecialProcedureEnded {
                    result: result.trim().to_owned(),
                });
                Ok(())
            }
            Command::RequestExtension { limit, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal("more time can be asked only while the case is in review");
                }
                if self.case.extension_request.is_some() {
                    return now_illegal("a request for more time is already waiting for the supervisor");
                }
                self.check_extension(limit, reason)?;
                self.emit(Event::ExtensionRequested {
                    request: ExtensionRequest {
                        limit: *limit,
                        reason: reason.trim().to_owned(),
                        by: self.ctx.actor.name.clone(),
                        at: self.ctx.now,
                    },
                });
                Ok(())
            }
            Command::DenyExtension { reason } => {
                if self.case.extension_request.is_none() {
                    return now_illegal("no request for more time is waiting");
                }
                self.emit(Event::ExtensionDenied {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::GrantExtension { limit, reason } => {
                if status != CaseStatus::InReview {
                    return now_illegal("an extension can be granted only while the case is in review");
                }
                self.check_extension(limit, reason)?;
                self.emit(Event::ExtensionGranted {
                    extension: Extension {
                        limit: *limit,
                        reason: reason.trim().to_owned(),
                        approver: self.ctx.actor.name.clone(),
                    },
                });
                Ok(())
            }
            Command::Deliver { delivery } => {
                if status != CaseStatus::Decided {
                    return now_illegal(format!(
                        "a result can be delivered only once decided; this case is {}",
                        status.zh()
                    ));
                }
                if self.case.outcome != Some(CaseOutcome::Refused) && !self.case.deferred.is_empty() {
                    let names: Vec<String> = self.case.deferred.iter().map(ToString::to_string).collect();
                    return now_illegal(format!(
                        "materials accepted with gaps (容缺) must arrive before the result is handed out: {}",
                        names.join(", ")
                    ));
                }
                if let DeliveryMethod::Mail { tracking_number } = delivery
                    && (tracking_number.trim().len() < 6
                        || !tracking_number.trim().chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    return invalid("give the mail tracking number (6 or more letters and digits)");
                }
                self.emit(Event::Delivered {
                    delivery: delivery.clone(),
                });
                Ok(())
            }
            Command::Withdraw { reason } => {
                if !matches!(status, CaseStatus::Submitted | CaseStatus::InReview) {
                    return now_illegal(format!(
                        "a case can be withdrawn only before its decision; this one is {}",
                        status.zh()
                    ));
                }
                let open: Vec<TaskId> = self.case.open_tasks().map(|t| t.id).collect();
                for task in open {
                    self.emit(Event::TaskCancelled { task });
                }
                self.emit(Event::Withdrawn {
                    reason: reason.trim().to_owned(),
                });
                Ok(())
            }
            Command::Rate { level, comment } => {
                if !matches!(status, CaseStatus::Delivered | CaseStatus::NotAccepted) {
                    return now_illegal("a case can be rated once it is finished");
                }
                if self.case.rating.is_some() {
                    return now_illegal("this case has been rated already");
                }
                if !(1..=5).contains(level) {
                    return invalid("rate from 1 (非常不满意) to 5 (非常满意)");
                }
                if *level <= 2 && comment.trim().is_empty() {
                    return invalid(
                        "a 差评 (1 or 2) needs a comment saying what went wrong, so it can be put right",
                    );
                }
                self.emit(Event::Rated {
                    level: *level,
                    comment: comment.trim().to_owned(),
                });
                Ok(())
            }
            Command::CheckClock { target, alarm } => {
                self.check_clock(*target, *alarm);
                Ok(())
            }
        }
    }

    fn check_extension(&self, limit: &Limit, reason: &str) -> Result<(), CaseError> {
        if reason.trim().is_empty() {
            return invalid("give the reason for the extension (延期理由)");
        }
        if limit.amount() == 0 {
            return invalid("an extension must add at least one unit of time");
        }
        if !limit.same_unit(self.case.promised_limit) {
            return invalid(format!(
                "the case's limit is counted in {}; give the extension in the same unit",
                self.case.promised_limit.unit_zh().trim_start_matches('个')
            ));
        }
        Ok(())
    }

    fn accept(&mut self, received: &[Code], deferred: &[Code], opinion: &str) -> Result<(), CaseError> {
        if let Some(req) = &self.case.supplement {
            let missing: Vec<&str> = req
                .missing
                .iter()
                .filter(|m| !received.contains(&m.code))
                .map(|m| m.name.as_str())
                .collect();
            if !missing.is_empty() {
                return now_illegal(format!(
                    "the supplement notice is still open; missing: {}",
                    missing.join("、")
                ));
            }
        }
        let specs = self.case.material_specs(self.ctx.registry)?;
        for code in received.iter().chain(deferred) {
            if !specs.iter().any(|s| &s.code == code) {
                return invalid(format!("material {code} is not one this application asks for"));
            }
        }
        for code in deferred {
            let spec = specs.iter().find(|s| &s.code == code);
            if spec.is_some_and(|s| s.necessity != Necessity::Deferrable) {
                return invalid(format!(
                    "material {code} cannot be supplied later; only 容缺后补 materials can"
                ));
            }
            if received.contains(code) {
                return invalid(format!("material {code} is both received and deferred"));
            }
        }
        let missing: Vec<&str> = specs
            .iter()
            .filter(|s| s.necessity != Necessity::Optional)
            .filter(|s| {
                !self.case.has_material(&s.code) && !received.contains(&s.code) && !deferred.contains(&s.code)
            })
            .map(|s| s.name.as_str())
            .collect();
        if !missing.is_empty() {
            return now_illegal(format!(
                "required materials are missing: {}; request a supplement (补正) listing them, or receive them first",
                missing.join("、")
            ));
        }
        let received: Vec<ProvidedMaterial> = received
            .iter()
            .map(|c| ProvidedMaterial {
                code: c.clone(),
                at: self.ctx.now,
                file: None,
            })
            .collect();
        self.emit(Event::Accepted {
            received,
            deferred: deferred.to_vec(),
            opinion: opinion.trim().to_owned(),
        });
        if self.case.handling == Handling::Instant {
            // 即办件: decided at the counter.
            for flow in 0..self.case.flows.len() {
                self.emit(Event::FlowEnded {
                    flow,
                    outcome: Outcome::Approved,
                });
            }
            self.emit(Event::Decided {
                outcome: CaseOutcome::Approved,
                reason: "即办件，当场办结".into(),
            });
            return Ok(());
        }
        for flow in 0..self.case.flows.len() {
            let def = self.definition(flow)?;
            let start = def.start.clone();
            self.enter(flow, &start, 0)?;
        }
        Ok(())
    }

    /// Borrowed from the registry, not from the run, so the run can change while it is held.
    fn definition(&self, flow: usize) -> Result<&'a ProcessDefinition, CaseError> {
        let f = &self.case.flows[flow];
        self.ctx
            .registry
            .process(&f.process, f.process_version)
            .ok_or_else(|| {
                CaseError::Configuration(format!("process {} version {}", f.process, f.process_version))
            })
    }

    fn resolve_department(&self, flow: usize, dept: &str) -> Result<Code, CaseError> {
        if dept == ITEM_DEPARTMENT {
            Ok(self.case.flows[flow].department.clone())
        } else {
            Code::parse(dept).map_err(|e| CaseError::Configuration(e.to_string()))
        }
    }

    fn next_task_id(&self) -> TaskId {
        self.case.tasks.iter().map(|t| t.id).max().unwrap_or(0) + 1
    }

    /// A token enters `node` of `flow`.
    fn enter(&mut self, flow: usize, node: &str, depth: usize) -> Result<(), CaseError> {
        // Definitions are acyclic, so depth is bounded by their size; this guards a corrupted one.
        if depth > 1_000 {
            return Err(CaseError::Configuration("the process runs in a loop".into()));
        }
        let def = self.definition(flow)?;
        let n = def
            .node(node)
            .ok_or_else(|| CaseError::Configuration(format!("node {node} is missing")))?;
        match &n.kind {
            NodeKind::Task {
                department,
                role,
                limit,
                ..
            } => {
                let task = Task {
                    id: self.next_task_id(),
                    flow,
                    node: n.id.clone(),
                    name: n.name.clone(),
                    department: self.resolve_department(flow, department)?,
                    role: role.clone(),
                    limit: *limit,
                    opened_at: self.ctx.now,
                    group: None,
                    state: TaskState::Open,
                    warned: false,
                    overdue: false,
                };
                self.emit(Event::TaskOpened { task });
            }
            NodeKind::Countersign {
                departments, limit, ..
            } => {
                let group = self.next_task_id();
                for (i, d) in departments.iter().enumerate() {
                    let task = Task {
                        id: group + i as TaskId,
                        flow,
                        node: n.id.clone(),
                        name: n.name.clone(),
                        department: self.resolve_department(flow, d)?,
                        role: None,
                        limit: *limit,
                        opened_at: self.ctx.now,
                        group: Some(group),
                        state: TaskState::Open,
                        warned: false,
                        overdue: false,
                    };
                    self.emit(Event::TaskOpened { task });
                }
            }
            NodeKind::Auto {
                rule,
                rule_text,
                then,
                otherwise,
            } => {
                let passed = rule.eval(&self.case.form);
                self.emit(Event::AutoDecided {
                    flow,
                    node: n.id.clone(),
                    rule: rule_text.clone(),
                    passed,
                });
                self.enter(flow, if passed { then } else { otherwise }, depth + 1)?;
            }
            NodeKind::Choice { when, otherwise } => {
                let next = when
                    .iter()
                    .find(|(rule, _, _)| rule.eval(&self.case.form))
                    .map(|(_, _, next)| next.clone())
                    .unwrap_or_else(|| otherwise.clone());
                self.emit(Event::ChoiceTaken {
                    flow,
                    node: n.id.clone(),
                    next: next.clone(),
                });
                self.enter(flow, &next, depth + 1)?;
            }
            NodeKind::Parallel { branches } => {
                for b in branches {
                    self.enter(flow, b, depth + 1)?;
                }
            }
            NodeKind::Join { next } => {
                self.emit(Event::BranchArrived {
                    flow,
                    join: n.id.clone(),
                });
                let expected = def.joins.get(&n.id).map(|j| j.1).unwrap_or(1) as u32;
                let arrived = self.case.flows[flow]
                    .join_arrivals
                    .get(&n.id)
                    .copied()
                    .unwrap_or(0);
                if arrived >= expected {
                    self.emit(Event::BranchesJoined {
                        flow,
                        join: n.id.clone(),
                    });
                    self.enter(flow, next, depth + 1)?;
                }
            }
            NodeKind::End { outcome } => self.end_flow(flow, *outcome, ""),
        }
        Ok(())
    }

    fn end_flow(&mut self, flow: usize, outcome: Outcome, reason: &str) {
        let open: Vec<TaskId> = self
            .case
            .open_tasks()
            .filter(|t| t.flow == flow)
            .map(|t| t.id)
            .collect();
        for task in open {
            self.emit(Event::TaskCancelled { task });
        }
        self.emit(Event::FlowEnded { flow, outcome });
        if self.case.flows.iter().all(|f| f.outcome.is_some()) {
            let approved = self
                .case
                .flows
                .iter()
                .filter(|f| f.outcome == Some(Outcome::Approved))
                .count();
            let outcome = match approved {
                n if n == self.case.flows.len() => CaseOutcome::Approved,
                0 => CaseOutcome::Refused,
                _ => CaseOutcome::Partial,
            };
            let reason = if reason.is_empty() {
                match outcome {
                    CaseOutcome::Approved => "准予许可".to_owned(),
                    CaseOutcome::Refused => "不予许可".to_owned(),
                    CaseOutcome::Partial => {
                        let refused: Vec<&str> = self
                            .case
                            .flows
                            .iter()
                            .filter(|f| f.outcome == Some(Outcome::Refused))
                            .map(|f| f.item_name.as_str())
                            .collect();
                        format!("部分准予；未准予：{}", refused.join("、"))
                    }
                }
            } else {
                reason.to_owned()
            };
            self.emit(Event::Decided { outcome, reason });
        }
    }

    fn act(
        &mut self,
        task_id: TaskId,
        action: TaskAction,
        return_to: Option<&str>,
        opinion: &str,
    ) -> Result<(), CaseError> {
        let task =
            self.case.task(task_id).cloned().ok_or_else(|| {
                CaseError::NotFound(format!("case {} has no task {task_id}", self.case.number))
            })?;
        if !task.is_open() {
            return now_illegal(format!("task {task_id} ({}) is already closed", task.name));
        }
        let def = self.definition(task.flow)?;
        let node = def
            .node(&task.node)
            .ok_or_else(|| CaseError::Configuration(format!("node {}", task.node)))?;
        let opinion = opinion.trim().to_owned();
        match (&node.kind, action) {
            (
                NodeKind::Task {
                    actions,
                    next,
                    return_to: allowed,
                    ..
                },
                _,
            ) => {
                if !actions.contains(&action) {
                    return now_illegal(
                        format!("task \"{}\" does not allow {:?}", task.name, action).to_lowercase(),
                    );
                }
                match action {
                    TaskAction::Approve => {
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: None,
                            opinion,
                        });
                        self.enter(task.flow, next, 0)?;
                    }
                    TaskAction::Return => {
                        let target = match return_to {
                            Some(t) => t.to_owned(),
                            None if allowed.len() == 1 => allowed[0].clone(),
                            None => {
                                return invalid(format!(
                                    "say which task to return to: {}",
                                    allowed.join(", ")
                                ));
                            }
                        };
                        if !allowed.contains(&target) {
                            return invalid(format!(
                                "task \"{}\" can return only to: {}",
                                task.name,
                                allowed.join(", ")
                            ));
                        }
                        if opinion.is_empty() {
                            return invalid("give the reason for returning the work");
                        }
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: Some(target.clone()),
                            opinion,
                        });
                        self.enter(task.flow, &target, 0)?;
                    }
                    TaskAction::Refuse => {
                        if opinion.is_empty() {
                            return invalid(
                                "give the reason for refusing (不予许可理由); the applicant is told it",
                            );
                        }
                        self.emit(Event::TaskCompleted {
                            task: task_id,
                            action,
                            return_to: None,
                            opinion: opinion.clone(),
                        });
                        self.end_flow(task.flow, Outcome::Refused, &opinion);
                    }
                }
            }
            (NodeKind::Countersign { next, .. }, TaskAction::Approve) => {
                self.emit(Event::TaskCompleted {
                    task: task_id,
                    action,
                    return_to: None,
                    opinion,
                });
                let group = task.group;
                let siblings_open = self
                    .case
                    .open_tasks()
                    .any(|t| t.group == group && t.flow == task.flow);
                if !siblings_open {
                    self.enter(task.flow, next, 0)?;
                }
            }
            (NodeKind::Countersign { .. }, TaskAction::Refuse) => {
                if opinion.is_empty() {
                    return invalid("give the reason for refusing (不予许可理由); the applicant is told it");
                }
                self.emit(Event::TaskCompleted {
                    task: task_id,
                    action,
                    return_to: None,
                    opinion: opinion.clone(),
                });
                self.end_flow(task.flow, Outcome::Refused, &opinion);
            }
            (NodeKind::Countersign { .. }, TaskAction::Return) => {
                return now_illegal("a countersign can approve or refuse, not return");
            }
            _ => {
                return Err(CaseError::Configuration(format!(
                    "node {} is not a human task",
                    task.node
                )));
            }
        }
        Ok(())
    }

    fn check_clock(&mut self, target: ClockTarget, alarm: Alarm) {
        if self.case.status != CaseStatus::InReview {
            return;
        }
        let (clock, warned, overdue) = match target {
            ClockTarget::Case => match self.case.clock() {
                Some(c) => (c, self.case.warned, self.case.overdue),
                None => return,
            },
            ClockTarget::Task(id) => match self.case.task(id) {
                Some(t) if t.is_open() => (self.case.task_clock(t), t.warned, t.overdue),
                _ => return,
            },
        };
        let Ok(reading) = clock.read(self.ctx.calendar, self.ctx.policy, self.ctx.now) else {
            return;
        };
        // Never early, never twice.
        let fire = match alarm {
            Alarm::Warning => !warned && matches!(reading.state, ClockState::Warning | ClockState::Overdue),
            Alarm::Overdue => !overdue && reading.state == ClockState::Overdue,
        };
        if fire {
            self.emit(Event::Alarmed { target, alarm });
        }
    }
}
