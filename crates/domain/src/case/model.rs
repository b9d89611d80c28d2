//! The case's state: who applies for what, its flows and tasks, materials, procedures and clocks as
//! data, and the queries every other part asks of it.

use super::*;

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
    /// The holder's electronic certificate (or shared data record) that satisfies it instead of a
    /// file (免提交): its id as sent; onego adds the identifier and type when it attaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<UsedCertificate>,
}

/// A certificate attached to a case as a material, its use logged on the certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedCertificate {
    pub id: i64,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub type_name: String,
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
    /// Every status, in the order an application passes through them.
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Submitted,
        CaseStatus::InReview,
        CaseStatus::Decided,
        CaseStatus::Delivered,
        CaseStatus::NotAccepted,
        CaseStatus::Withdrawn,
    ];

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

    pub fn parse(text: &str) -> Option<CaseOutcome> {
        [CaseOutcome::Approved, CaseOutcome::Refused, CaseOutcome::Partial]
            .into_iter()
            .find(|o| o.as_str() == text.trim())
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum DeliveryMethod {
    Window,
    Mail { tracking_number: String },
    Electronic,
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
    /// The applicant was reminded that the decided result waits to be collected.
    #[serde(default)]
    pub collection_reminded: bool,
    /// The major project this case is a procedure of.
    #[serde(default)]
    pub project: Option<i64>,
    /// Joint review meetings (云会商) and remote inspections (云勘验).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meetings: Vec<super::review::Meeting>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inspections: Vec<super::review::Inspection>,
    /// Bumped by the store on every commit; the optimistic-concurrency check.
    pub version: u64,
}

impl Case {
    /// The items whose materials this case asks for.
    pub(super) fn items<'r>(&self, registry: &'r dyn Registry) -> Result<Vec<&'r ServiceItem>, CaseError> {
        self.flows
            .iter()
            .map(|f| {
                registry.item_version(&f.item, f.item_version).ok_or_else(|| {
                    CaseError::Configuration(format!("item {} version {}", f.item, f.item_version))
                })
            })
            .collect()
    }

    /// The item versions this case runs (what each delivers: `result_name`); none when the catalog
    /// has lost a version.
    pub fn items_of<'r>(&self, registry: &'r dyn Registry) -> Vec<&'r ServiceItem> {
        self.items(registry).unwrap_or_default()
    }

    pub fn material_specs<'r>(&self, registry: &'r dyn Registry) -> Result<Vec<&'r MaterialSpec>, CaseError> {
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
}
