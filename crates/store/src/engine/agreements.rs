//! 帮办代办 on the engine: the agency centre records a signed agreement (`sign_agreement`), the enterprise
//! or the centre ends or renews it (`run_agreement`), onego's timer reminds before the last day and
//! marks it expired after; an agent's account carries the mandates it gives (`mandates_of`), which the
//! access policy checks on every step the agent takes for the enterprise.

use std::sync::Arc;

use onego_calendar::Timestamp;
use onego_domain::agency::{Agreement, AgreementCommand, AgreementError, Mandate, NewAgreement};
use onego_domain::case::Registry;
use onego_domain::messages::Msg;
use onego_domain::org::{Actor, Role};

use super::{Engine, EngineError, Outcome};
use crate::aggregate::Stored;
use crate::agreement::{AgentStep, AgreementScope};

fn from_agreement_error(e: AgreementError) -> EngineError {
    match e {
        AgreementError::Denied(m) => EngineError::Denied(m),
        AgreementError::Invalid(m) => EngineError::Invalid(m),
        AgreementError::NotAllowedNow(m) => EngineError::NotAllowedNow(m),
    }
}

/// Which agreements an actor may list.
fn scope_of(actor: &Actor) -> Option<AgreementScope> {
    match (actor.role, &actor.department, &actor.applicant) {
        (Role::Applicant, _, Some(a)) => Some(AgreementScope::Enterprise(a.as_str().to_owned())),
        (Role::Agent, _, _) => Some(AgreementScope::Agent(actor.user_id)),
        (Role::Approver | Role::Supervisor, Some(d), _) => Some(AgreementScope::Department(d.to_string())),
        (Role::Leader | Role::System, _, _) => Some(AgreementScope::All),
        _ => None,
    }
}

impl Engine {
    /// Whether `actor` works in the agency centre: a steering department of a project path (项目管家
    /// and 代办 sit together in the administrative approval bureau).
    pub fn is_agency_centre(&self, actor: &Actor) -> bool {
        matches!(actor.role, Role::Approver | Role::Supervisor)
            && actor
                .department
                .as_ref()
                .is_some_and(|d| self.catalog().project_paths.iter().any(|p| &p.steward == d))
    }

    /// Records a signed agreement: by the agency centre, for an agent account, naming projects of the
    /// enterprise and items of the catalog; the scanned agreement is the recorder's own upload.
    pub async fn sign_agreement(
        &self,
        actor: &Actor,
        agent_username: &str,
        input: NewAgreement,
        now: Timestamp,
    ) -> Result<Outcome<Agreement>, EngineError> {
        if !self.is_agency_centre(actor) {
            return Err(EngineError::Denied(Msg::new(
                "agreement_by_centre",
                "代办协议由代办中心（项目管家所在部门）登记",
                "agency agreements are recorded by the agency centre (the stewards' department)",
            )));
        }
        let department = actor.department.clone().expect("a centre has a department");
        let agent = self.store.users().by_username(agent_username.trim()).await?;
        let agent = match agent {
            Some((u, _)) if u.role == Role::Agent && !u.disabled => (u.id, u.name),
            _ => {
                return Err(EngineError::Invalid(
                    Msg::new(
                        "agreement_agent_unknown",
                        "没有这个代办员账号；请填写代办员的用户名（角色须为代办员）",
                        "there is no agent account by that name; give an agent's username",
                    )
                    .at("agent"),
                ));
            }
        };
        let catalog = self.catalog();
        let today = self.calendar().local_date(now);
        for item in &input.items {
            let known = Registry::item(&*catalog, item, today).is_some()
                || Registry::bundle(&*catalog, item, today).is_some();
            if !known {
                return Err(EngineError::Invalid(
                    Msg::new(
                        "agreement_item_unknown",
                        format!("事项目录中没有 {item}；请填写现行事项编码"),
                        format!("the catalog has no item {item}; give the code of an item in force"),
                    )
                    .at("items"),
                ));
            }
        }
        for pid in &input.projects {
            let p = self
                .load_current::<onego_domain::project::Project>(*pid)
                .await
                .ok();
            if p.as_ref().map(|p| &p.value.investor.id) != Some(&input.enterprise.id) {
                return Err(EngineError::Invalid(
                    Msg::new(
                        "agreement_project_not_enterprises",
                        format!("第 {pid} 号项目不是该企业的项目，不能写入其代办范围"),
                        format!("project {pid} is not this enterprise's, so it cannot be in its agreement"),
                    )
                    .at("projects"),
                ));
            }
        }
        let files: Vec<_> = input.file.into_iter().collect();
        let attach = self.check_files(actor, None, &files).await?;
        let (id, number) = self.next_ids_for("agreement", now).await?;
        let (agreement, entry) = Agreement::sign(
            id,
            format!("DB-{number}"),
            input,
            agent,
            department,
            today,
            now,
            actor,
        )
        .map_err(from_agreement_error)?;
        let entries = vec![entry];
        let stored = self.create(agreement, &entries, now, attach.as_ref()).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// Ends, renews or checks an agreement the actor may see.
    pub async fn run_agreement(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &AgreementCommand,
        now: Timestamp,
    ) -> Result<Outcome<Agreement>, EngineError> {
        let today = self.calendar().local_date(now);
        let (stored, entries) = self
            .run::<Agreement>(id, now, None, |current| {
                if !current.visible_to(actor) {
                    return Err(EngineError::NotFound(super::path::not_found_msg(
                        onego_domain::aggregate::AggregateKind::Agreement,
                        id,
                    )));
                }
                current
                    .decide(actor, cmd, today, now)
                    .map_err(from_agreement_error)
            })
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    pub async fn agreement(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Agreement>>, EngineError> {
        self.view::<Agreement>(actor, id).await
    }

    /// The agreements `actor` may list: an enterprise's, an agent's, the centre's, all for leaders.
    pub async fn agreements(&self, actor: &Actor) -> Result<Vec<Agreement>, EngineError> {
        let Some(scope) = scope_of(actor) else {
            return Ok(vec![]);
        };
        Ok(self
            .store
            .read(move |c| crate::agreement::list(c, &scope, 200))
            .await?)
    }

    /// The mandates an agent's account carries today (none for anyone else).
    pub async fn mandates_of(
        &self,
        user_id: i64,
        role: Role,
        now: Timestamp,
    ) -> Result<Vec<Mandate>, EngineError> {
        if role != Role::Agent {
            return Ok(vec![]);
        }
        let today = self.calendar().local_date(now);
        Ok(self
            .store
            .read(move |c| crate::agreement::mandates(c, user_id, today))
            .await?)
    }

    /// Everything agents did on an enterprise's applications (for the enterprise itself).
    pub async fn agent_steps(&self, actor: &Actor) -> Result<Vec<AgentStep>, EngineError> {
        let Some(key) = actor
            .applicant
            .as_ref()
            .filter(|_| actor.role == Role::Applicant)
            .map(|a| a.as_str().to_owned())
        else {
            return Ok(vec![]);
        };
        Ok(self
            .store
            .read(move |c| crate::agreement::agent_steps(c, &key, 100))
            .await?)
    }
}
