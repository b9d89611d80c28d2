//! The major project as an aggregate on the shared write path: the columns kept beside its state for
//! lists (by enterprise, steering department, type, key level and current stage) and its journal entries.
//! A project opens no tasks of its own (its procedures are cases, which do).

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::org::Actor;
use onego_domain::project::{Project, ProjectEntry};

use crate::StoreError;
use crate::aggregate::{Aggregate, Derived, Env, Journaled, NotificationRow, SideRows};
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
    fn derive(&self, _env: Env<'_>, _now: Timestamp) -> Derived {
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
            timers: vec![],
        }
    }
    fn notifications(&self, _entries: &[ProjectEntry], _now: Timestamp) -> Vec<NotificationRow> {
        vec![]
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
