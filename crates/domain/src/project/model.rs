//! A major project (重大项目) as an aggregate like a case: its record, the plan generated from its type's
//! path (every procedure by stage, each run as an ordinary case linked to it), the stages started and
//! completed, and who may do what. Stewards (the path's steering department) edit the plan with a reason;
//! a stage starts when the one before is complete, or alongside it where the path allows (并联), or
//! early on a stated 容缺 reason; onego links each procedure's case and records its decision, which
//! completes the stage when the last of its procedures is decided.

use onego_calendar::{Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};

use super::path::{KeyLevel, PathDefinition, ProjectType, Stage};
use crate::case::Registry;
use crate::labels::Label;
use crate::messages::Msg;
use crate::org::{Actor, Role};
use crate::values::{ApplicantId, Code};

/// The longest reason for a plan edit or an early start, in characters.
pub const MAX_REASON: usize = 200;

/// The enterprise that invests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Investor {
    /// Its 统一社会信用代码.
    pub id: ApplicantId,
    pub name: String,
}

/// Where the project is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The governance area (grid) it lies in.
    #[serde(default)]
    pub grid: Option<Code>,
}

/// What creating a project needs, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    /// 项目代码 (the investment project code), e.g. 2026-371700-47-01-000123.
    pub code: String,
    pub name: String,
    pub investor: Investor,
    pub site: Site,
    pub kind: ProjectType,
    /// Total investment in 万元.
    pub investment: u64,
    /// 地块 (the land parcel's name or number).
    pub land_parcel: String,
    pub key_level: KeyLevel,
}

/// A stage as the project stands in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageState {
    pub stage: Stage,
    pub lead: Code,
    pub started_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    /// Why it started before the stage before was complete (容缺), when it did.
    #[serde(default)]
    pub shortfall: Option<String>,
    /// Working days the path allows it from its start; reminded the day before, late after (once each).
    #[serde(default)]
    pub limit_days: Option<u32>,
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub late: bool,
}

/// One procedure of the plan: an item run as a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub item: Code,
    pub name: String,
    pub department: Code,
    pub stage: Stage,
    #[serde(default)]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub approved: Option<bool>,
    #[serde(default)]
    pub decided_at: Option<Timestamp>,
    /// Why a steward added it (none for the path's own).
    #[serde(default)]
    pub added: Option<String>,
    /// Why a steward dropped it; a dropped procedure no longer counts.
    #[serde(default)]
    pub dropped: Option<String>,
    /// Who answers for it in the ledger, and by when it should be decided.
    #[serde(default)]
    pub responsible: Option<super::ledger::Member>,
    #[serde(default)]
    pub planned_end: Option<chrono::NaiveDate>,
    /// Reminded the day before its date; late after it (each once).
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub late: bool,
    /// May run as 预审 before the land is acquired (拿地即开工).
    #[serde(default)]
    pub pre_review: bool,
    /// Approved in 预审: held until the land certificate arrives, then made formal.
    #[serde(default)]
    pub provisional: bool,
}

impl Procedure {
    pub fn counts(&self) -> bool {
        self.dropped.is_none()
    }
}

/// A major project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    #[serde(default)]
    pub version: u64,
    pub code: String,
    pub name: String,
    pub investor: Investor,
    pub site: Site,
    pub kind: ProjectType,
    pub investment: u64,
    pub land_parcel: String,
    pub key_level: KeyLevel,
    /// The department whose staff steer it (项目管家).
    pub steward_department: Code,
    /// Working days promised from land to the construction permit.
    pub target_days: u32,
    pub created_at: Timestamp,
    pub stages: Vec<StageState>,
    pub procedures: Vec<Procedure>,
    /// The team, the visits and the problems of the steward's ledger (帮包台账).
    #[serde(default)]
    pub team: super::ledger::Team,
    #[serde(default)]
    pub visits: Vec<super::ledger::Visit>,
    #[serde(default)]
    pub problems: Vec<super::ledger::Problem>,
    /// When the land was acquired, by which certificate (拿地).
    #[serde(default)]
    pub land: Option<super::land::Land>,
}

/// One journal entry of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectEntry {
    pub at: Timestamp,
    pub actor: Actor,
    pub event: ProjectEvent,
}

/// What happened to a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ProjectEvent {
    /// Created with the plan of its type's path.
    Created {
        project: Box<Project>,
    },
    ProcedureAdded {
        procedure: Procedure,
    },
    ProcedureDropped {
        item: Code,
        reason: String,
    },
    StageStarted {
        stage: Stage,
        #[serde(default)]
        shortfall: Option<String>,
    },
    CaseLinked {
        item: Code,
        case_id: i64,
    },
    ProcedureDecided {
        item: Code,
        case_id: i64,
        approved: bool,
        /// Approved in 预审, before the land: held until the land certificate arrives.
        #[serde(default)]
        provisional: bool,
    },
    StageCompleted {
        stage: Stage,
    },
    TeamSet {
        team: super::ledger::Team,
    },
    ProcedureAssigned {
        item: Code,
        responsible: super::ledger::Member,
        planned_end: chrono::NaiveDate,
    },
    VisitRecorded {
        visit: super::ledger::Visit,
    },
    ProblemRaised {
        problem: super::ledger::Problem,
    },
    ProblemResolved {
        problem: u32,
        note: String,
    },
    /// A day before its planned date: its responsible person and the stewards are reminded.
    ProcedureDueSoon {
        item: Code,
    },
    /// Past its planned date: late, and the lead leader is told as well.
    ProcedureLate {
        item: Code,
    },
    ProblemDueSoon {
        problem: u32,
    },
    ProblemLate {
        problem: u32,
    },
    /// A stage near the end of its working days, and past it.
    StageDueSoon {
        stage: Stage,
    },
    StageLate {
        stage: Stage,
    },
    /// The land certificate arrived (拿地): pre-reviewed approvals become formal.
    LandAcquired {
        certificate: String,
    },
    ProcedureFormalized {
        item: Code,
    },
    /// A problem sent on as an enterprise whistle (企业吹哨) to named departments.
    ProblemWhistled {
        problem: u32,
        whistle: super::ledger::ProblemWhistle,
    },
}

impl ProjectEvent {
    pub fn action(&self) -> &'static str {
        match self {
            ProjectEvent::Created { .. } => "created",
            ProjectEvent::ProcedureAdded { .. } => "procedure_added",
            ProjectEvent::ProcedureDropped { .. } => "procedure_dropped",
            ProjectEvent::StageStarted { .. } => "stage_started",
            ProjectEvent::CaseLinked { .. } => "case_linked",
            ProjectEvent::ProcedureDecided { .. } => "procedure_decided",
            ProjectEvent::StageCompleted { .. } => "stage_completed",
            ProjectEvent::TeamSet { .. } => "team_set",
            ProjectEvent::ProcedureAssigned { .. } => "procedure_assigned",
            ProjectEvent::VisitRecorded { .. } => "visit_recorded",
            ProjectEvent::ProblemRaised { .. } => "problem_raised",
            ProjectEvent::ProblemResolved { .. } => "problem_resolved",
            ProjectEvent::ProcedureDueSoon { .. } => "procedure_due_soon",
            ProjectEvent::ProcedureLate { .. } => "procedure_late",
            ProjectEvent::ProblemDueSoon { .. } => "problem_due_soon",
            ProjectEvent::ProblemLate { .. } => "problem_late",
            ProjectEvent::LandAcquired { .. } => "land_acquired",
            ProjectEvent::StageDueSoon { .. } => "stage_due_soon",
            ProjectEvent::StageLate { .. } => "stage_late",
            ProjectEvent::ProcedureFormalized { .. } => "procedure_formalized",
            ProjectEvent::ProblemWhistled { .. } => "problem_whistled",
        }
    }

    pub fn opinion(&self) -> Option<&str> {
        match self {
            ProjectEvent::ProcedureAdded { procedure } => procedure.added.as_deref(),
            ProjectEvent::ProcedureDropped { reason, .. } => Some(reason),
            ProjectEvent::StageStarted { shortfall, .. } => shortfall.as_deref(),
            ProjectEvent::VisitRecorded { visit } => Some(&visit.needs),
            ProjectEvent::ProblemRaised { problem } => Some(&problem.title),
            ProjectEvent::ProblemResolved { note, .. } => Some(note),
            _ => None,
        }
    }
}

/// What is asked of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ProjectCommand {
    /// A steward adds an item to the plan, with the reason.
    AddProcedure {
        item: Code,
        stage: Stage,
        reason: String,
    },
    /// A steward drops an item not yet applied for, with the reason.
    DropProcedure { item: Code, reason: String },
    /// The steward or the enterprise starts a stage; before the stage ahead of it is complete only
    /// where the path runs them in parallel, or with the 容缺 reason.
    StartStage {
        stage: Stage,
        #[serde(default)]
        shortfall_reason: Option<String>,
    },
    /// onego links the case opened for a procedure (never a person).
    LinkCase { item: Code, case_id: i64 },
    /// onego records a linked case's decision (never a person).
    RecordDecision { case_id: i64, approved: bool },
    /// A steward sets the project's team.
    SetTeam { team: super::ledger::Team },
    /// A steward names who answers for a procedure and by when it should be decided.
    AssignProcedure {
        item: Code,
        responsible: super::ledger::Member,
        planned_end: chrono::NaiveDate,
    },
    /// A steward records a visit to the enterprise (入企问需).
    RecordVisit {
        on: chrono::NaiveDate,
        people: String,
        needs: String,
        #[serde(default)]
        follow_up: String,
    },
    /// A steward or the enterprise raises a problem, with its owner and deadline.
    RaiseProblem {
        title: String,
        owner: super::ledger::Member,
        deadline: chrono::NaiveDate,
    },
    /// A steward closes a problem with what was done.
    ResolveProblem { problem: u32, note: String },
    /// A steward or the enterprise sends a problem on as an enterprise whistle to named departments;
    /// onego opens the request in the same commit and gives its number (never the caller).
    WhistleProblem {
        problem: u32,
        departments: Vec<Code>,
        #[serde(default, skip_deserializing)]
        ticket: Option<String>,
    },
    /// onego's timer: remind of what is near its date, mark what is past it (never a person).
    CheckDelays { alarm: crate::timer::Alarm },
    /// The land certificate arrived (its identifier, checked by onego before): pre-reviewed approvals
    /// become formal in one step (拿地即开工).
    AcquireLand { certificate: String },
}

/// Why a project command is refused (each message says what would make it possible).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectError {
    #[error("{0}")]
    Denied(Msg),
    #[error("{0}")]
    Invalid(Msg),
    #[error("{0}")]
    NotAllowedNow(Msg),
}

fn reason(text: &str) -> Result<String, ProjectError> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_REASON {
        return Err(ProjectError::Invalid(
            Msg::new(
                "project_reason",
                "请写明理由（不超过200字），调整记录将留存备查",
                "give the reason (at most 200 characters); every change is recorded",
            )
            .at("reason"),
        ));
    }
    Ok(t.to_owned())
}

impl Project {
    /// A new project with the plan of its type's `path`: every item of every stage, named from the
    /// catalog in force on `today`.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        id: i64,
        input: NewProject,
        path: &PathDefinition,
        steward_department: Code,
        registry: &dyn Registry,
        today: chrono::NaiveDate,
        at: Timestamp,
        by: &Actor,
    ) -> Result<(Project, ProjectEntry), ProjectError> {
        let mut procedures = Vec::new();
        for rule in &path.stages {
            for code in &rule.items {
                let item = registry.item(code, today).ok_or_else(|| {
                    ProjectError::Invalid(Msg::new(
                        "path_item_missing",
                        format!("建设项目审批路径中的事项 {code} 今日不在办理期内，请联系管理员"),
                        format!(
                            "item {code} of the approval path is not in force today; tell the administrator"
                        ),
                    ))
                })?;
                procedures.push(Procedure {
                    item: item.impl_code.clone(),
                    name: item.name.clone(),
                    department: item.department.clone(),
                    stage: rule.stage,
                    case_id: None,
                    approved: None,
                    decided_at: None,
                    added: None,
                    dropped: None,
                    responsible: None,
                    planned_end: None,
                    reminded: false,
                    late: false,
                    pre_review: rule.pre_review.contains(code),
                    provisional: false,
                });
            }
        }
        let project = Project {
            id,
            version: 0,
            code: input.code,
            name: input.name,
            investor: input.investor,
            site: input.site,
            kind: input.kind,
            investment: input.investment,
            land_parcel: input.land_parcel,
            key_level: input.key_level,
            steward_department,
            target_days: path.target_days,
            created_at: at,
            team: super::ledger::Team::default(),
            land: None,
            visits: vec![],
            problems: vec![],
            stages: path
                .stages
                .iter()
                .map(|r| StageState {
                    stage: r.stage,
                    lead: r.lead.clone(),
                    started_at: None,
                    completed_at: None,
                    shortfall: None,
                    limit_days: r.days,
                    reminded: false,
                    late: false,
                })
                .collect(),
            procedures,
        };
        let entry = ProjectEntry {
            at,
            actor: by.clone(),
            event: ProjectEvent::Created {
                project: Box::new(project.clone()),
            },
        };
        Ok((project, entry))
    }

    /// The state a project starts in: its `Created` entry's.
    pub fn from_created(entry: &ProjectEntry) -> Option<Project> {
        match &entry.event {
            ProjectEvent::Created { project } => Some((**project).clone()),
            _ => None,
        }
    }

    pub fn is_steward(&self, actor: &Actor) -> bool {
        matches!(actor.role, Role::Approver | Role::Supervisor)
            && actor.department.as_ref() == Some(&self.steward_department)
    }

    pub fn is_investor(&self, actor: &Actor) -> bool {
        actor.role == Role::Applicant && actor.applicant.as_ref() == Some(&self.investor.id)
    }

    /// Whether `actor` may see it in full: the enterprise, its stewards, the departments with a stage or
    /// a procedure in it, leaders and onego. Anyone may read its public flowchart (码上流程图), masked.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match actor.role {
            Role::Applicant => self.is_investor(actor),
            Role::Approver | Role::Supervisor | Role::Clerk => actor.department.as_ref().is_some_and(|d| {
                *d == self.steward_department
                    || self.stages.iter().any(|s| &s.lead == d)
                    || self.procedures.iter().any(|p| &p.department == d)
            }),
            Role::Leader | Role::System => true,
            // An agent whose agreement in force names the project (帮办代办).
            Role::Agent => actor
                .mandates
                .iter()
                .any(|m| m.in_force && m.enterprise == self.investor.id && m.projects.contains(&self.id)),
            _ => false,
        }
    }

    pub fn stage(&self, stage: Stage) -> Option<&StageState> {
        self.stages.iter().find(|s| s.stage == stage)
    }

    /// The procedures of a stage that still count.
    pub fn procedures_of(&self, stage: Stage) -> impl Iterator<Item = &Procedure> {
        self.procedures
            .iter()
            .filter(move |p| p.stage == stage && p.counts())
    }

    /// Working days a stage has taken (to now while open), and the project from the first stage's start
    /// to the construction permit (the end of stage three), or to now.
    pub fn stage_days(&self, stage: Stage, calendar: &WorkingCalendar, now: Timestamp) -> Option<i64> {
        let s = self.stage(stage)?;
        let from = calendar.local_date(s.started_at?);
        let to = calendar.local_date(s.completed_at.unwrap_or(now));
        Some(calendar.working_days_between(from, to).value)
    }

    pub fn land_to_permit_days(&self, calendar: &WorkingCalendar, now: Timestamp) -> Option<i64> {
        let start = self.stage(Stage::LandPlanning)?.started_at?;
        let end = self
            .stage(Stage::ConstructionPermit)
            .and_then(|s| s.completed_at)
            .unwrap_or(now);
        Some(
            calendar
                .working_days_between(calendar.local_date(start), calendar.local_date(end))
                .value,
        )
    }

    /// Decides a command (`path`: the project type's, for the order of stages).
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &self,
        actor: &Actor,
        cmd: &ProjectCommand,
        path: &PathDefinition,
        registry: &dyn Registry,
        calendar: &WorkingCalendar,
        today: chrono::NaiveDate,
        at: Timestamp,
    ) -> Result<Vec<ProjectEntry>, ProjectError> {
        let entry = |event| ProjectEntry {
            at,
            actor: actor.clone(),
            event,
        };
        let steward_only = || {
            ProjectError::Denied(Msg::new(
                "project_steward_only",
                "只有该项目的项目管家（牵头部门工作人员）才能调整审批计划",
                "only the project's stewards change its plan",
            ))
        };
        match cmd {
            ProjectCommand::AddProcedure {
                item,
                stage,
                reason: r,
            } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                let r = reason(r)?;
                if self.procedures.iter().any(|p| &p.item == item && p.counts()) {
                    return Err(ProjectError::NotAllowedNow(Msg::new(
                        "procedure_in_plan",
                        format!("事项 {item} 已在审批计划中"),
                        format!("item {item} is in the plan already"),
                    )));
                }
                let found = registry.item(item, today).ok_or_else(|| {
                    ProjectError::Invalid(
                        Msg::new(
                            "item_not_in_force",
                            format!("事项 {item} 今日不在办理期内，请查看事项目录"),
                            format!("no service item {item} is in force today"),
                        )
                        .at("item"),
                    )
                })?;
                Ok(vec![entry(ProjectEvent::ProcedureAdded {
                    procedure: Procedure {
                        item: found.impl_code.clone(),
                        name: found.name.clone(),
                        department: found.department.clone(),
                        stage: *stage,
                        case_id: None,
                        approved: None,
                        decided_at: None,
                        added: Some(r),
                        dropped: None,
                        responsible: None,
                        planned_end: None,
                        reminded: false,
                        late: false,
                        pre_review: false,
                        provisional: false,
                    },
                })])
            }
            ProjectCommand::DropProcedure { item, reason: r } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                let r = reason(r)?;
                match self.procedures.iter().find(|p| &p.item == item && p.counts()) {
                    None => Err(ProjectError::Invalid(
                        Msg::new(
                            "procedure_not_in_plan",
                            format!("审批计划中没有事项 {item}"),
                            format!("item {item} is not in the plan"),
                        )
                        .at("item"),
                    )),
                    Some(p) if p.case_id.is_some() => Err(ProjectError::NotAllowedNow(Msg::new(
                        "procedure_applied",
                        format!(
                            "{}已申请办理，不能从计划中删除；如不再需要，请由申请人撤回申请",
                            p.name
                        ),
                        format!(
                            "{} is applied for already; the applicant withdraws it instead",
                            p.name
                        ),
                    ))),
                    Some(p) => {
                        let mut out = vec![entry(ProjectEvent::ProcedureDropped {
                            item: item.clone(),
                            reason: r,
                        })];
                        // Dropping the last undecided procedure of a started stage completes it.
                        let rest_decided = self
                            .procedures_of(p.stage)
                            .filter(|q| &q.item != item)
                            .all(|q| q.approved.is_some());
                        if rest_decided
                            && self
                                .stage(p.stage)
                                .is_some_and(|s| s.started_at.is_some() && s.completed_at.is_none())
                        {
                            out.push(entry(ProjectEvent::StageCompleted { stage: p.stage }));
                        }
                        Ok(out)
                    }
                }
            }
            ProjectCommand::StartStage {
                stage,
                shortfall_reason,
            } => {
                if !(self.is_steward(actor) || self.is_investor(actor)) {
                    return Err(ProjectError::Denied(Msg::new(
                        "project_start_stage",
                        "阶段由项目管家或建设单位启动",
                        "a stage is started by the project's stewards or the enterprise",
                    )));
                }
                let state = self.stage(*stage).ok_or_else(|| {
                    ProjectError::Invalid(Msg::new(
                        "no_such_stage",
                        "没有这个阶段",
                        "there is no such stage",
                    ))
                })?;
                if state.started_at.is_some() {
                    return Err(ProjectError::NotAllowedNow(Msg::new(
                        "stage_started",
                        format!("“{}”阶段已经开始", stage.zh()),
                        format!("the {} stage has started already", stage.en()),
                    )));
                }
                let previous_done = stage
                    .previous()
                    .and_then(|p| self.stage(p))
                    .is_none_or(|p| p.completed_at.is_some());
                let parallel = path.stage(*stage).is_some_and(|r| r.parallel_with_previous)
                    && stage
                        .previous()
                        .and_then(|p| self.stage(p))
                        .is_none_or(|p| p.started_at.is_some());
                let shortfall = match shortfall_reason.as_deref().map(str::trim) {
                    Some(r) if !r.is_empty() => Some(reason(r)?),
                    _ => None,
                };
                if !previous_done && !parallel && shortfall.is_none() {
                    let before = stage.previous().map_or("", |p| p.zh());
                    return Err(ProjectError::NotAllowedNow(
                        Msg::new(
                            "stage_out_of_order",
                            format!(
                                "“{before}”阶段尚未完成，“{}”阶段不能提前开始；确需容缺推进的，请写明容缺理由",
                                stage.zh()
                            ),
                            format!(
                                "the stage before is not complete, so the {} stage cannot start yet; to go ahead with shortfalls (容缺), give the reason",
                                stage.en()
                            ),
                        )
                        .at("shortfall_reason"),
                    ));
                }
                Ok(vec![entry(ProjectEvent::StageStarted {
                    stage: *stage,
                    shortfall: if previous_done || parallel {
                        None
                    } else {
                        shortfall
                    },
                })])
            }
            ProjectCommand::LinkCase { item, case_id } => {
                if actor.role != Role::System {
                    return Err(ProjectError::Denied("cases are linked by onego itself".into()));
                }
                let Some(p) = self.procedures.iter().find(|p| &p.item == item && p.counts()) else {
                    return Err(ProjectError::Invalid(
                        Msg::new(
                            "procedure_not_in_plan",
                            format!("项目“{}”的审批计划中没有这个事项", self.name),
                            format!("this item is not in the plan of “{}”", self.name),
                        )
                        .at("project"),
                    ));
                };
                if p.case_id.is_some() {
                    return Err(ProjectError::NotAllowedNow(
                        Msg::new(
                            "procedure_applied",
                            format!("项目“{}”的{}已经申请办理，请在项目页面查看", self.name, p.name),
                            format!(
                                "{} of “{}” is applied for already; see the project",
                                p.name, self.name
                            ),
                        )
                        .at("project"),
                    ));
                }
                let pre_review = p.pre_review && self.land.is_none();
                if !pre_review && self.stage(p.stage).is_none_or(|s| s.started_at.is_none()) {
                    return Err(ProjectError::NotAllowedNow(
                        Msg::new(
                            "stage_not_started",
                            format!("“{}”阶段尚未开始，请先启动该阶段再申请{}", p.stage.zh(), p.name),
                            format!(
                                "the {} stage has not started; start it before applying for {}",
                                p.stage.en(),
                                p.name
                            ),
                        )
                        .at("project"),
                    ));
                }
                Ok(vec![entry(ProjectEvent::CaseLinked {
                    item: item.clone(),
                    case_id: *case_id,
                })])
            }
            ProjectCommand::SetTeam { .. }
            | ProjectCommand::AssignProcedure { .. }
            | ProjectCommand::RecordVisit { .. }
            | ProjectCommand::RaiseProblem { .. }
            | ProjectCommand::ResolveProblem { .. }
            | ProjectCommand::WhistleProblem { .. }
            | ProjectCommand::CheckDelays { .. } => self.decide_ledger(actor, cmd, today, at, Some(calendar)),
            ProjectCommand::AcquireLand { certificate } => self.decide_land(actor, certificate, at),
            ProjectCommand::RecordDecision { case_id, approved } => {
                if actor.role != Role::System {
                    return Err(ProjectError::Denied(
                        "decisions are recorded by onego itself".into(),
                    ));
                }
                let Some(p) = self.procedures.iter().find(|p| p.case_id == Some(*case_id)) else {
                    return Ok(vec![]);
                };
                if p.approved.is_some() {
                    return Ok(vec![]);
                }
                // Approved before the land: a 预审 result, held until the land certificate arrives.
                let provisional = *approved && p.pre_review && self.land.is_none();
                let mut out = vec![entry(ProjectEvent::ProcedureDecided {
                    item: p.item.clone(),
                    case_id: *case_id,
                    approved: *approved,
                    provisional,
                })];
                // The stage completes when the last of its procedures is decided (formally).
                let rest_decided = self
                    .procedures_of(p.stage)
                    .filter(|q| q.item != p.item)
                    .all(|q| q.approved.is_some() && !q.provisional);
                if !provisional
                    && rest_decided
                    && self
                        .stage(p.stage)
                        .is_some_and(|s| s.started_at.is_some() && s.completed_at.is_none())
                {
                    out.push(entry(ProjectEvent::StageCompleted { stage: p.stage }));
                }
                Ok(out)
            }
        }
    }
}
