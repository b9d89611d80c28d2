//! The major project as an aggregate on the shared write path: the columns kept beside its state for
//! lists (by enterprise, steering department, type, key level and current stage) and its journal entries.
//! A project opens no tasks of its own (its procedures are cases, which do).

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::org::Actor;
use onego_domain::project::{Project, ProjectEntry};

use crate::StoreError;
use crate::aggregate::{Aggregate, Derived, Env, Journaled, NotificationRow, SideRows, TimerRow};
use crate::sql::{Conn, Value};

pub const PROJECT_COLUMNS: &[&str] = &[
    "code",
    "name",
    "investor_key",
    "kind",
    "key_level",
    "stage",
    "steward_department",
    "created_at",
];

/// The timer target of a project's ledger dates.
pub const DELAYS_TARGET: &str = "project:delays";

/// The timer of the next ledger date to look at (a reminder the day before, lateness the day after).
pub fn timer_rows(p: &Project, env: Env<'_>) -> Vec<TimerRow> {
    crate::aggregate::next_date_timer(DELAYS_TARGET, p.next_delay_check(env.calendar))
}

/// The notices of the ledger's dates: to the stewards' department, by SMS to the person responsible,
/// and — once late — to the lead leader and the department's supervisors.
fn notifications(p: &Project, entries: &[ProjectEntry], now: Timestamp) -> Vec<NotificationRow> {
    use onego_domain::project::ProjectEvent as E;
    let mut out = Vec::new();
    for e in entries {
        let (late, what, date, responsible) = match &e.event {
            E::ProcedureDueSoon { item } | E::ProcedureLate { item } => {
                let Some(q) = p.procedures.iter().find(|q| &q.item == item && q.counts()) else {
                    continue;
                };
                (
                    matches!(e.event, E::ProcedureLate { .. }),
                    q.name.clone(),
                    q.planned_end,
                    q.responsible.clone(),
                )
            }
            E::ProblemDueSoon { problem } | E::ProblemLate { problem } => {
                let Some(q) = p.problems.iter().find(|q| q.id == *problem) else {
                    continue;
                };
                (
                    matches!(e.event, E::ProblemLate { .. }),
                    q.title.clone(),
                    Some(q.deadline),
                    Some(q.owner.clone()),
                )
            }
            E::StageDueSoon { stage } | E::StageLate { stage } => (
                matches!(e.event, E::StageLate { .. }),
                format!("“{}”阶段", onego_domain::labels::Label::zh(stage)),
                None,
                None,
            ),
            _ => continue,
        };
        let kind = if late { "project_late" } else { "project_due_soon" };
        // A stage has no calendar date here: its limit in working days is what it passes.
        let date_zh = date
            .map(|d| d.format("%Y年%m月%d日").to_string())
            .unwrap_or_else(|| "本阶段办理时限".to_owned());
        let text = if late {
            format!("{}：{}已超过计划时间（{}），请督促办理", p.name, what, date_zh)
        } else {
            format!("{}：{}计划于{}前办结，请抓紧推进", p.name, what, date_zh)
        };
        let params = vec![
            ("number".to_owned(), p.code.clone()),
            ("title".to_owned(), p.name.clone()),
            ("what".to_owned(), what.clone()),
            ("date".to_owned(), date_zh.clone()),
            (
                "date_en".to_owned(),
                date.map(|d| d.format("%-d %B %Y").to_string())
                    .unwrap_or_else(|| "the stage's limit".to_owned()),
            ),
        ];
        let base = NotificationRow {
            kind: kind.to_owned(),
            text: text.clone(),
            created_at: now.as_millis(),
            params: params.clone(),
            ..Default::default()
        };
        out.push(NotificationRow {
            department: Some(p.steward_department.to_string()),
            supervisors: late,
            ..base.clone()
        });
        let mut phones: Vec<String> = responsible
            .and_then(|m| m.phone)
            .map(|m| m.as_str().to_owned())
            .into_iter()
            .collect();
        if late && let Some(phone) = p.team.leader.as_ref().and_then(|m| m.phone.as_ref()) {
            phones.push(phone.as_str().to_owned());
        }
        phones.dedup();
        for phone in phones {
            out.push(NotificationRow {
                phone: Some(phone),
                ..base.clone()
            });
        }
    }
    out
}

/// The stage a project is in: the last one started, or "planning" before any.
pub fn current_stage(p: &Project) -> &'static str {
    p.stages
        .iter()
        .rev()
        .find(|s| s.started_at.is_some())
        .map_or("planning", |s| {
            if s.completed_at.is_some() && s.stage == onego_domain::project::Stage::Completion {
                "completed"
            } else {
                s.stage.as_str()
            }
        })
}

impl Aggregate for Project {
    type Entry = ProjectEntry;
    const KIND: AggregateKind = AggregateKind::Project;
    const COLUMNS: &'static [&'static str] = PROJECT_COLUMNS;
    fn id(&self) -> i64 {
        self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
    fn set_version(&mut self, v: u64) {
        self.version = v;
    }
    fn apply(&mut self, e: &ProjectEntry) {
        Project::apply(self, e);
    }
    fn number(&self) -> String {
        self.code.clone()
    }
    fn title(&self) -> String {
        self.name.clone()
    }
    fn visible_to(&self, actor: &Actor) -> bool {
        Project::visible_to(self, actor)
    }
    fn derive(&self, env: Env<'_>, _now: Timestamp) -> Derived {
        Derived {
            columns: vec![
                self.code.clone().into(),
                self.name.clone().into(),
                self.investor.id.as_str().into(),
                self.kind.as_str().into(),
                self.key_level.as_str().into(),
                current_stage(self).into(),
                self.steward_department.as_str().into(),
                Value::Int(self.created_at.as_millis()),
            ],
            tasks: vec![],
            timers: timer_rows(self, env),
        }
    }
    fn notifications(&self, entries: &[ProjectEntry], now: Timestamp) -> Vec<NotificationRow> {
        notifications(self, entries, now)
    }
    fn side_rows(
        &self,
        _env: Env<'_>,
        created: bool,
        entries: &[ProjectEntry],
        _first_seq: i64,
    ) -> Vec<SideRows> {
        use onego_domain::project::ProjectEvent;
        let mut departments: Vec<String> = Vec::new();
        let mut add = |d: &str| {
            if !departments.iter().any(|x| x == d) {
                departments.push(d.to_owned());
            }
        };
        if created {
            add(self.steward_department.as_str());
            for s in &self.stages {
                add(s.lead.as_str());
            }
            for p in &self.procedures {
                add(p.department.as_str());
            }
        }
        for e in entries {
            if let ProjectEvent::ProcedureAdded { procedure } = &e.event {
                add(procedure.department.as_str());
            }
        }
        if departments.is_empty() {
            return vec![];
        }
        vec![SideRows {
            table: "project_departments",
            columns: &["project_id", "department"],
            rows: departments
                .into_iter()
                .map(|d| vec![Value::Int(self.id), d.into()])
                .collect(),
            keep_existing: true,
        }]
    }
}

impl Journaled for ProjectEntry {
    fn at(&self) -> Timestamp {
        self.at
    }
    fn actor(&self) -> &Actor {
        &self.actor
    }
    fn action(&self) -> &'static str {
        self.event.action()
    }
    fn opinion(&self) -> Option<&str> {
        self.event.opinion()
    }
    fn data(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&self.event)
    }
}

/// A row of a project list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub key_level: String,
    pub stage: String,
}

/// Who a project list is for: an enterprise's own, a steering department's, or all (leaders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectScope {
    Investor(String),
    Department(String),
    /// An agent's: the projects its agreements in force name.
    Ids(Vec<i64>),
    All,
}

pub fn list(conn: &mut dyn Conn, scope: &ProjectScope, limit: i64) -> Result<Vec<ProjectRow>, StoreError> {
    let (filter, params): (&str, Vec<Value>) = match scope {
        ProjectScope::Investor(k) => ("WHERE investor_key = $1", vec![k.clone().into()]),
        // A department's: those it steers, leads a stage of, or has a procedure in.
        ProjectScope::Department(d) => (
            "WHERE id IN (SELECT project_id FROM project_departments WHERE department = $1)",
            vec![d.clone().into()],
        ),
        ProjectScope::Ids(ids) if ids.is_empty() => return Ok(vec![]),
        ProjectScope::Ids(ids) => {
            let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT id, code, name, kind, key_level, stage FROM projects WHERE id IN ({}) ORDER BY id",
                marks.join(", ")
            );
            let params: Vec<Value> = ids.iter().map(|i| Value::Int(*i)).collect();
            return conn
                .query(&sql, &params)?
                .iter()
                .map(|r| {
                    Ok(ProjectRow {
                        id: r.int(0)?,
                        code: r.text(1)?,
                        name: r.text(2)?,
                        kind: r.text(3)?,
                        key_level: r.text(4)?,
                        stage: r.text(5)?,
                    })
                })
                .collect();
        }
        ProjectScope::All => ("", vec![]),
    };
    let mut params = params;
    params.push(Value::Int(limit.clamp(1, 500)));
    let sql = format!(
        "SELECT id, code, name, kind, key_level, stage FROM projects {filter} \
         ORDER BY key_level, created_at DESC, id DESC LIMIT ${}",
        params.len()
    );
    conn.query(&sql, &params)?
        .iter()
        .map(|r| {
            Ok(ProjectRow {
                id: r.int(0)?,
                code: r.text(1)?,
                name: r.text(2)?,
                kind: r.text(3)?,
                key_level: r.text(4)?,
                stage: r.text(5)?,
            })
        })
        .collect()
}

/// The projects of a scope, in full (the dispatch board reads each one's stages and ledger).
pub fn states(conn: &mut dyn Conn, scope: &ProjectScope, limit: i64) -> Result<Vec<Project>, StoreError> {
    let ids: Vec<i64> = list(conn, scope, limit)?.into_iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT state, version FROM projects WHERE id IN ({})",
        marks.join(", ")
    );
    let params: Vec<Value> = ids.iter().map(|id| Value::Int(*id)).collect();
    conn.query(&sql, &params)?
        .iter()
        .map(|r| {
            let mut p: Project = serde_json::from_str(&r.text(0)?)?;
            p.version = r.int(1)? as u64;
            Ok(p)
        })
        .collect()
}
