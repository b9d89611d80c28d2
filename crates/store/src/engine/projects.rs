//! Major projects on the engine: `open_project` (a steward or the enterprise records one, its plan
//! generated from the type's path), `run_project` (plan edits, stage starts), and the two things a
//! project's cases do to it, committed with the case's own write: linking the case when it opens for a
//! procedure, and recording its decision (which may complete the stage).

use std::sync::Arc;

use onego_calendar::Timestamp;
use onego_domain::messages::Msg;
use onego_domain::org::{Actor, Role};
use onego_domain::project::{NewProject, Project, ProjectCommand, ProjectError};

use super::{Engine, EngineError, Outcome};
use crate::aggregate::{Aggregate, Stored, Write};
use crate::project::{ProjectRow, ProjectScope};

/// Which projects an actor may list.
fn project_scope(actor: &Actor) -> Option<ProjectScope> {
    match (actor.role, &actor.department, &actor.applicant) {
        (Role::Applicant, _, Some(a)) => Some(ProjectScope::Investor(a.as_str().to_owned())),
        (Role::Approver | Role::Supervisor | Role::Clerk, Some(d), _) => {
            Some(ProjectScope::Department(d.to_string()))
        }
        (Role::Leader | Role::System, _, _) => Some(ProjectScope::All),
        _ => None,
    }
}

fn from_project_error(e: ProjectError) -> EngineError {
    match e {
        ProjectError::Denied(m) => EngineError::Denied(m),
        ProjectError::Invalid(m) => EngineError::Invalid(m),
        ProjectError::NotAllowedNow(m) => EngineError::NotAllowedNow(m),
    }
}

impl Engine {
    /// Records a new project with the plan of its type's path. A steward (staff of the path's steering
    /// department) records any; an enterprise only its own.
    pub async fn open_project(
        &self,
        actor: &Actor,
        input: NewProject,
        now: Timestamp,
    ) -> Result<Outcome<Project>, EngineError> {
        let catalog = self.catalog();
        let path = catalog.project_path(input.kind).cloned().ok_or_else(|| {
            EngineError::Configuration(format!("no approval path for {} projects", input.kind.as_str()))
        })?;
        let steward = matches!(actor.role, Role::Approver | Role::Supervisor)
            && actor.department.as_ref() == Some(&path.steward);
        let own = actor.role == Role::Applicant && actor.applicant.as_ref() == Some(&input.investor.id);
        if !(steward || own) {
            return Err(EngineError::Denied(Msg::new(
                "project_create_denied",
                "项目由项目管家（行政审批服务局）或建设单位本身登记",
                "a project is recorded by its stewards or by the investing enterprise itself",
            )));
        }
        let code = input.code.clone();
        let taken = self
            .store
            .read(move |c| {
                Ok(
                    c.query_one("SELECT 1 FROM projects WHERE code = $1", &[code.into()])?
                        .is_some(),
                )
            })
            .await?;
        if taken {
            return Err(EngineError::Invalid(
                Msg::new(
                    "project_code_taken",
                    format!("项目代码 {} 已登记，请核对；同一项目只登记一次", input.code),
                    format!(
                        "project code {} is recorded already; a project is recorded once",
                        input.code
                    ),
                )
                .at("code"),
            ));
        }
        let (id, _) = self.next_ids_for("project", now).await?;
        let today = self.calendar().local_date(now);
        let (project, entry) = Project::create(
            id,
            input,
            &path,
            path.steward.clone(),
            &*catalog,
            today,
            now,
            actor,
        )
        .map_err(from_project_error)?;
        let entries = vec![entry];
        let stored = self.create(project, &entries, now, None).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// Runs a command on a project the actor may see.
    pub async fn run_project(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &ProjectCommand,
        now: Timestamp,
    ) -> Result<Outcome<Project>, EngineError> {
        let catalog = self.catalog();
        let today = self.calendar().local_date(now);
        let (stored, entries) = self
            .run::<Project>(id, now, None, |current| {
                if !current.visible_to(actor) {
                    return Err(EngineError::NotFound(super::path::not_found_msg(
                        onego_domain::aggregate::AggregateKind::Project,
                        id,
                    )));
                }
                let path = catalog.project_path(current.kind).ok_or_else(|| {
                    EngineError::Configuration(format!(
                        "no approval path for {} projects",
                        current.kind.as_str()
                    ))
                })?;
                current
                    .decide(actor, cmd, path, &*catalog, today, now)
                    .map_err(from_project_error)
            })
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// The write of onego's own command on a project (linking a case, recording a decision), made with
    /// the case's commit; `None` when it changes nothing.
    pub(super) async fn project_write(
        &self,
        id: i64,
        cmd: ProjectCommand,
        now: Timestamp,
    ) -> Result<Option<Write>, EngineError> {
        let stored = self.load_current::<Project>(id).await?;
        let catalog = self.catalog();
        let path = catalog.project_path(stored.value.kind).ok_or_else(|| {
            EngineError::Configuration(format!(
                "no approval path for {} projects",
                stored.value.kind.as_str()
            ))
        })?;
        let today = self.calendar().local_date(now);
        let entries = stored
            .value
            .decide(&Actor::system(), &cmd, path, &*catalog, today, now)
            .map_err(from_project_error)?;
        if entries.is_empty() {
            return Ok(None);
        }
        let mut next = stored.value.clone();
        for e in &entries {
            next.apply(e);
        }
        next.set_version(stored.value.version() + 1);
        Ok(Some(
            self.build_write(Some(&stored), &next, &entries, now, None)?.0,
        ))
    }

    /// A project as the actor may see it.
    pub async fn project(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Project>>, EngineError> {
        self.view::<Project>(actor, id).await
    }

    /// A project as its public flowchart shows it (码上流程图): anyone may read it; the caller masks
    /// what is personal.
    pub async fn project_public(&self, id: i64) -> Result<Arc<Stored<Project>>, EngineError> {
        self.load_current::<Project>(id).await
    }

    /// The projects `actor` may list: an enterprise its own, a department those it has a part in,
    /// leaders all.
    pub async fn projects(&self, actor: &Actor) -> Result<Vec<ProjectRow>, EngineError> {
        let Some(scope) = project_scope(actor) else {
            return Ok(vec![]);
        };
        Ok(self
            .store
            .read(move |c| crate::project::list(c, &scope, 200))
            .await?)
    }

    /// The same projects in full, for the dispatch board (重大项目调度).
    pub async fn project_states(&self, actor: &Actor) -> Result<Vec<Project>, EngineError> {
        let Some(scope) = project_scope(actor) else {
            return Ok(vec![]);
        };
        Ok(self
            .store
            .read(move |c| crate::project::states(c, &scope, 500))
            .await?)
    }
}
