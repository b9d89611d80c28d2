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
use crate::aggregate::{Stored, Write};
use crate::project::{ProjectRow, ProjectScope};

/// The approval path of a project type: a catalog without it is misconfigured.
fn path_of(
    catalog: &onego_domain::catalog::Catalog,
    kind: onego_domain::project::ProjectType,
) -> Result<&onego_domain::project::PathDefinition, EngineError> {
    catalog
        .project_path(kind)
        .ok_or_else(|| EngineError::Configuration(format!("no approval path for {} projects", kind.as_str())))
}

/// Which projects an actor may list.
fn project_scope(actor: &Actor) -> Option<ProjectScope> {
    match (actor.role, &actor.department, &actor.applicant) {
        (Role::Applicant, _, Some(a)) => Some(ProjectScope::Investor(a.as_str().to_owned())),
        (Role::Approver | Role::Supervisor | Role::Clerk, Some(d), _) => {
            Some(ProjectScope::Department(d.to_string()))
        }
        (Role::Leader | Role::System, _, _) => Some(ProjectScope::All),
        (Role::Agent, _, _) => Some(ProjectScope::Ids(
            actor
                .mandates
                .iter()
                .filter(|m| m.in_force)
                .flat_map(|m| m.projects.iter().copied())
                .take(100)
                .collect(),
        )),
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
        let path = path_of(&catalog, input.kind)?.clone();
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
        // The governance area (grid) the site lies in, from its coordinates, as for a request.
        let mut input = input;
        if let (Some(lat), Some(lon)) = (input.site.lat, input.site.lon) {
            let hotline = self.hotline();
            input.site.grid = onego_domain::grid::locate(&hotline.areas, lon, lat)
                .filter(|a| a.level != onego_domain::grid::GridLevel::Region)
                .map(|a| a.code.clone());
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
        if let ProjectCommand::AcquireLand { certificate } = cmd {
            return self.acquire_land(actor, id, certificate, now).await;
        }
        if let ProjectCommand::WhistleProblem {
            problem, departments, ..
        } = cmd
        {
            return self.whistle_problem(actor, id, *problem, departments, now).await;
        }
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
                let path = path_of(&catalog, current.kind)?;
                current
                    .decide(actor, cmd, path, &*catalog, &self.calendar(), today, now)
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
        let path = path_of(&catalog, stored.value.kind)?;
        let today = self.calendar().local_date(now);
        let entries = stored
            .value
            .decide(
                &Actor::system(),
                &cmd,
                path,
                &*catalog,
                &self.calendar(),
                today,
                now,
            )
            .map_err(from_project_error)?;
        if entries.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.companion_write(&stored, &entries, now)?))
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

impl Engine {
    /// 拿地即开工: the land certificate (by its identifier) arrived for a project. It must be the
    /// investor's, of the path's land type, valid today and genuine; then, in one commit, the project
    /// records the land, every pre-reviewed approval becomes formal, and each formalised procedure's
    /// certificate is issued — the permits the same day.
    pub(super) async fn acquire_land(
        &self,
        actor: &Actor,
        id: i64,
        identifier: &str,
        now: Timestamp,
    ) -> Result<Outcome<Project>, EngineError> {
        use onego_domain::certificate::Certificate;
        let project = self.view::<Project>(actor, id).await?;
        let catalog = self.catalog();
        let path = path_of(&catalog, project.value.kind)?.clone();
        let land_type = path.land_certificate.clone().ok_or_else(|| {
            EngineError::Configuration(format!(
                "the path of {} projects names no land certificate",
                project.value.kind.as_str()
            ))
        })?;
        let refuse = |zh: &str, en: &str| {
            EngineError::Invalid(Msg::new("land_certificate_refused", zh, en).at("certificate"))
        };
        let parsed = onego_domain::certificate::CertificateId::parse(identifier)
            .map_err(|e| EngineError::Invalid(e.msg().at("certificate")))?;
        let text = parsed.to_string();
        let cert: Certificate = self
            .store
            .certificates()
            .by_identifier(&text)
            .await?
            .ok_or_else(|| {
                refuse(
                    "没有找到这份不动产权证书，请核对证照标识",
                    "there is no land certificate with this identifier; check it",
                )
            })?;
        let today = self.calendar().local_date(now);
        if cert.holder != project.value.investor.id || cert.content.type_code != land_type {
            return Err(refuse(
                "该证照不是建设单位名下的不动产权证书（国有建设用地使用权），不能作为拿地依据",
                "this is not the investor's land-use certificate, so it cannot prove the land",
            ));
        }
        if !cert.usable_on(today) || self.verdict(&cert).await? != super::Verdict::Genuine {
            return Err(refuse(
                "该不动产权证书无效（已注销、暂停、过期或签章校验不通过），请向发证机关核实",
                "the land certificate is not valid (revoked, suspended, expired, or its seal does not hold); ask its issuing body",
            ));
        }
        let cmd = ProjectCommand::AcquireLand { certificate: text };
        let (stored, entries) = self
            .run_joint::<Project>(
                id,
                now,
                None,
                |current| {
                    if !current.visible_to(actor) {
                        return Err(EngineError::NotFound(super::path::not_found_msg(
                            onego_domain::aggregate::AggregateKind::Project,
                            id,
                        )));
                    }
                    current
                        .decide(actor, &cmd, &path, &*catalog, &self.calendar(), today, now)
                        .map_err(from_project_error)
                },
                |project, entries| self.formal_certificates(project, entries, now),
            )
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// A problem of the ledger sent on as an enterprise whistle (企业吹哨，部门报到): the request opens in
    /// the enterprise's name, dispatched at once to the departments named, in the project's own commit;
    /// the problem keeps the request's number. The departments must exist; a refusal stores nothing.
    async fn whistle_problem(
        &self,
        actor: &Actor,
        id: i64,
        problem: u32,
        departments: &[onego_domain::values::Code],
        now: Timestamp,
    ) -> Result<Outcome<Project>, EngineError> {
        use onego_domain::ticket::{Intake, Location, Requester, TicketChannel, TicketType, Urgency};
        let project = self.view::<Project>(actor, id).await?;
        let known = self.departments();
        if let Some(d) = departments.iter().find(|d| !known.contains(d)) {
            return Err(EngineError::Invalid(
                Msg::new(
                    "no_such_department",
                    format!("没有单位 {d}，请从列表中选择"),
                    format!("there is no department {d}; choose one from the list"),
                )
                .at("departments"),
            ));
        }
        let hotline = self.hotline();
        let category = hotline
            .categories
            .iter()
            .find(|c| c.sla.as_str() == onego_domain::hotline::WHISTLE_SLA)
            .ok_or_else(|| EngineError::Configuration("no request category takes the whistle's SLA".into()))?
            .category();
        let title = project
            .value
            .problems
            .iter()
            .find(|q| q.id == problem)
            .map(|q| q.title.clone())
            .unwrap_or_default();
        let (ticket_id, number) = self.next_ticket_number(now).await?;
        let cmd = ProjectCommand::WhistleProblem {
            problem,
            departments: departments.to_vec(),
            ticket: Some(number.clone()),
        };
        let catalog = self.catalog();
        let today = self.calendar().local_date(now);
        let p = &project.value;
        let intake = Intake {
            channel: TicketChannel::Enterprise,
            kind: TicketType::Help,
            category,
            content: format!("【重大项目 {} {}】{title}", p.code, p.name),
            location: p.site.lat.zip(p.site.lon).map(|(lat, lon)| Location {
                lat,
                lon,
                address: p.site.address.clone(),
            }),
            requester: Requester {
                name: Some(p.investor.name.clone()),
                phone: p.team.steward.as_ref().and_then(|m| m.phone.clone()),
                user_id: None,
                notify: false,
            },
            urgency: Urgency::Urgent,
            attachments: vec![],
            grid: None,
            summoned: departments.to_vec(),
            attributes: vec![],
        };
        let (stored, entries) = self
            .run_joint::<Project>(
                id,
                now,
                None,
                |current| {
                    if !current.visible_to(actor) {
                        return Err(EngineError::NotFound(super::path::not_found_msg(
                            onego_domain::aggregate::AggregateKind::Project,
                            id,
                        )));
                    }
                    let path = path_of(&catalog, current.kind)?;
                    current
                        .decide(actor, &cmd, path, &*catalog, &self.calendar(), today, now)
                        .map_err(from_project_error)
                },
                |_, _| {
                    let intake = intake.clone();
                    let number = number.clone();
                    Some(Box::pin(async move {
                        let (ticket, entries) = self.receive_ticket(actor, intake, ticket_id, number, now)?;
                        Ok(vec![self.build_write(None, &ticket, &entries, now, None)?.0])
                    }))
                },
            )
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// The certificates of the procedures the land made formal, written with the project's commit.
    fn formal_certificates<'c>(
        &'c self,
        project: &Project,
        entries: &[onego_domain::project::ProjectEntry],
        now: Timestamp,
    ) -> Option<super::path::Companions<'c>> {
        use onego_domain::project::ProjectEvent;
        let cases: Vec<i64> = entries
            .iter()
            .filter_map(|e| match &e.event {
                ProjectEvent::ProcedureFormalized { item } => project
                    .procedures
                    .iter()
                    .find(|p| &p.item == item && p.counts())
                    .and_then(|p| p.case_id),
                _ => None,
            })
            .collect();
        if cases.is_empty() {
            return None;
        }
        Some(Box::pin(async move {
            let mut writes = Vec::new();
            for case_id in cases {
                let case = self.load_current::<onego_domain::case::Case>(case_id).await?;
                for flow in case
                    .value
                    .flows
                    .iter()
                    .filter(|f| f.outcome == Some(onego_domain::process::Outcome::Approved))
                {
                    if let Some(issue) = self.issue_for_flow(&case.value, flow, now) {
                        writes.push(self.issue_write(issue?, now).await?);
                    }
                }
            }
            Ok(writes)
        }))
    }

    /// Whether a project procedure's certificate waits for the land: its case is a 预审 decided before
    /// the land certificate arrived.
    pub(super) async fn held_for_land(&self, project: i64, case_id: i64) -> Result<bool, EngineError> {
        let p = self.load_current::<Project>(project).await?;
        Ok(p.value.land.is_none()
            && p.value
                .procedures
                .iter()
                .any(|q| q.case_id == Some(case_id) && q.pre_review))
    }
}
