//! Applications on the engine: `open_case` (a submission, accepted at once at the window when asked),
//! `run_case` (any command on one), and reading one as a person may see it.

use std::sync::Arc;

use onego_calendar::{Timestamp, WorkingCalendar};
use onego_domain::case::{Case, CaseId, Command, Context, Submission};
use onego_domain::catalog::Catalog;
use onego_domain::org::{Actor, Role};
use onego_domain::policy;

use onego_domain::messages::Msg;

use super::{Engine, EngineError, Outcome};
use crate::case::StoredCase;

impl Engine {
    fn case_context<'a>(
        &'a self,
        actor: &'a Actor,
        now: Timestamp,
        catalog: &'a Catalog,
        calendar: &'a WorkingCalendar,
    ) -> Context<'a> {
        Context {
            now,
            actor,
            registry: catalog,
            calendar,
            policy: self.config.policy,
        }
    }

    /// Opens a new case; with `accept`, a clerk accepts it in the same step.
    pub async fn open_case(
        &self,
        actor: &Actor,
        submission: Submission,
        accept: Option<Command>,
        now: Timestamp,
    ) -> Result<Outcome<Case>, EngineError> {
        policy::authorize_submission(actor, &submission)?;
        if accept.is_some() && actor.role != Role::Clerk {
            return Err(EngineError::Denied(
                "only the window clerk accepts at submission".into(),
            ));
        }
        // One ID, one name: a person's or organisation's ID number is bound to the name it was first used
        // with (or its account's), so nobody files in another's name and lands in their "my cases".
        let key = submission.applicant.id.as_str().to_owned();
        if let Some(bound) = self.store.cases().applicant_name(&key).await?
            && bound != submission.applicant.name.trim()
        {
            let shown = onego_domain::privacy::mask_name(&bound);
            return Err(EngineError::Invalid(Msg::new(
                "id_bound_to_another_name",
                format!(
                    "证件号码 {key} 已登记为另一名称（{shown}）。请核对证件号码和姓名（单位名称）是否一致"
                ),
                format!(
                    "the ID {key} is registered under another name ({shown}); check that the ID and the name belong together"
                ),
            )
            .at("applicant_name")));
        }
        let attach = self.check_files(actor, None, &submission.files()).await?;
        let catalog = self.catalog();
        let (id, number) = self.next_ids_for("case_no", now).await?;
        let calendar = self.calendar();
        let ctx = self.case_context(actor, now, &catalog, &calendar);
        let (case, entries) = Case::open(&ctx, id, number, submission, accept)?;
        let stored = self.create(case, &entries, now, attach.as_ref()).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// Runs a command on a case, deciding again on fresh state if someone else changed it meanwhile.
    pub async fn run_case(
        &self,
        actor: &Actor,
        id: CaseId,
        cmd: &Command,
        now: Timestamp,
    ) -> Result<Outcome<Case>, EngineError> {
        let attach = self.check_files(actor, Some(id), &cmd.files()).await?;
        let catalog = self.catalog();
        let (stored, entries) = self
            .run::<Case>(id, now, attach.as_ref(), |current| {
                policy::authorize_command(actor, current, cmd)?;
                let calendar = self.calendar();
                let ctx = self.case_context(actor, now, &catalog, &calendar);
                Ok(current.decide(&ctx, cmd)?)
            })
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// A case as the actor may see it (not found, rather than forbidden, for anyone else: whether a case
    /// number exists is not revealed).
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<Arc<StoredCase>, EngineError> {
        self.view::<Case>(actor, id).await
    }
}
