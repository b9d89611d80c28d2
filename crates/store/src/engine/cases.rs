//! Applications on the engine: `open_case` (a submission, accepted at once at the window when asked),
//! `run_case` (any command on one), and reading one as a person may see it.

use std::sync::Arc;

use onego_calendar::{Timestamp, WorkingCalendar};
use onego_domain::case::{Case, CaseId, Command, Context, Submission};

use onego_domain::catalog::Catalog;
use onego_domain::org::{Actor, Role};
use onego_domain::policy;

use onego_domain::messages::Msg;

use super::path::Companions;
use super::{Engine, EngineError, Outcome};
use crate::case::StoredCase;
use onego_domain::case::shared;

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
        // An agent's steps are journalled under the one agreement that allows them.
        let item = match &submission.subject {
            onego_domain::case::SubjectRef::Item { code }
            | onego_domain::case::SubjectRef::Bundle { code } => code,
        };
        let narrowed =
            onego_domain::agency::acting(actor, &submission.applicant.id, item, submission.project);
        let actor = &narrowed;
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
        let calendar = self.calendar();
        let today = calendar.local_date(now);
        let mut submission = submission;
        let items = shared::items_of(&*catalog, &submission.subject, today);
        // An item whose certificate is issued only to persons (or only to organisations) is applied
        // for only by them: refused here, not at the decision.
        for item in &items {
            let Some(t) = item
                .certificate_type
                .as_deref()
                .and_then(|c| catalog.certificate_type(c))
            else {
                continue;
            };
            if !t.holder.admits(&submission.applicant.id) {
                return Err(EngineError::Invalid(
                    super::certificates::holder_mismatch(t, &item.name).at("applicant_id"),
                ));
            }
        }
        let used = self
            .attach_certificates(actor, &mut submission, &items, &catalog, today)
            .await?;
        // 秒批: every required material came from certificates or shared data, so nobody needs to
        // look at papers; onego accepts at once and the process's rules decide.
        let auto_accept = if accept.is_none() {
            shared::auto_acceptance(&items, &submission)
        } else {
            None
        };
        if let Some(pid) = submission.project {
            self.check_project_application(pid, &submission).await?;
        }
        let (id, number) = self.next_ids_for("case_no", now).await?;
        let ctx = self.case_context(actor, now, &catalog, &calendar);
        let (mut case, mut entries) = Case::open(&ctx, id, number, submission, accept)?;
        if let Some(cmd) = auto_accept {
            let system = Actor::system();
            let ctx = self.case_context(&system, now, &catalog, &calendar);
            let more = case.decide(&ctx, &cmd)?;
            for e in &more {
                case.apply(e);
            }
            entries.extend(more);
        }
        let stored = self
            .create_joint(case, &entries, now, attach.as_ref(), |case, entries| {
                self.consequences(actor, case, entries, &used, true, now)
            })
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// What a case's command causes in other aggregates, committed with it: the use of every
    /// certificate it attached (用证, with the case and the material as the reason), the certificate of
    /// every approved item that issues one once the case is decided, and for a project's procedure the
    /// link when it opens and the decision when it is decided.
    fn consequences<'c>(
        &'c self,
        actor: &'c Actor,
        case: &Case,
        entries: &[onego_domain::case::Entry],
        used: &[(i64, String)],
        opening: bool,
        now: Timestamp,
    ) -> Option<Companions<'c>> {
        use onego_domain::case::Event;
        use onego_domain::process::Outcome as FlowOutcome;
        let decided = entries.iter().any(|e| matches!(e.event, Event::Decided { .. }));
        let issues: Vec<(Result<super::Issue, EngineError>, bool)> = if decided {
            case.flows
                .iter()
                .filter(|f| f.outcome == Some(FlowOutcome::Approved))
                .filter_map(|f| self.issue_for_flow(case, f, now).map(|i| (i, self.renews(f))))
                .collect()
        } else {
            vec![]
        };
        let project = case.project.and_then(|pid| {
            use onego_domain::project::ProjectCommand;
            if opening {
                let item = match &case.subject {
                    onego_domain::case::Subject::Item { code, .. } => code.clone(),
                    onego_domain::case::Subject::Bundle { code, .. } => code.clone(),
                };
                Some((
                    pid,
                    ProjectCommand::LinkCase {
                        item,
                        case_id: case.id,
                    },
                ))
            } else if decided {
                let approved = case.outcome == Some(onego_domain::case::CaseOutcome::Approved);
                Some((
                    pid,
                    ProjectCommand::RecordDecision {
                        case_id: case.id,
                        approved,
                    },
                ))
            } else {
                None
            }
        });
        if used.is_empty() && issues.is_empty() && project.is_none() {
            return None;
        }
        let uses: Vec<(i64, String)> = used
            .iter()
            .map(|(id, material)| {
                let reason = format!("办件 {} 申请材料：{material}", case.number);
                (
                    *id,
                    reason
                        .chars()
                        .take(onego_domain::certificate::model::MAX_REASON)
                        .collect(),
                )
            })
            .collect();
        let case_id = case.id;
        let case_number = format!("办件 {}", case.number);
        // A certificate written once per commit: one used here is not also replaced here.
        let used_ids: Vec<i64> = uses.iter().map(|(id, _)| *id).collect();
        // A project's 预审 decided before the land keeps its certificate until the land arrives.
        let hold_for = if decided { case.project } else { None };
        Some(Box::pin(async move {
            let mut writes = Vec::with_capacity(uses.len() + issues.len());
            for (id, reason) in uses {
                writes.push(self.use_write(actor, id, reason, case_id, now).await?);
            }
            let held = match hold_for {
                Some(pid) if !issues.is_empty() => self.held_for_land(pid, case_id).await?,
                _ => false,
            };
            if !held {
                for (issue, renews) in issues {
                    let issue = issue?;
                    // A renewal (换证) replaces the holder's certificates of the type still valid.
                    let old = if renews {
                        self.superseded_writes(&issue, &case_number, &used_ids, now)
                            .await?
                    } else {
                        vec![]
                    };
                    writes.extend(old);
                    writes.push(self.issue_write(issue, now).await?);
                }
            }
            if let Some((pid, cmd)) = project {
                writes.extend(self.project_write(pid, cmd, now).await?);
            }
            Ok(writes)
        }))
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
            .run_joint::<Case>(
                id,
                now,
                attach.as_ref(),
                |current| {
                    policy::authorize_command(actor, current, cmd)?;
                    let acting = onego_domain::agency::acting(
                        actor,
                        &current.applicant.id,
                        policy::case_item(current),
                        current.project,
                    );
                    let calendar = self.calendar();
                    let ctx = self.case_context(&acting, now, &catalog, &calendar);
                    Ok(current.decide(&ctx, cmd)?)
                },
                |case, entries| self.consequences(actor, case, entries, &[], false, now),
            )
            .await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// An application for a project's procedure: for one item, in the investing enterprise's name. (That
    /// the item is in the plan and its stage has started is the project's to say, when the case links.)
    async fn check_project_application(&self, pid: i64, submission: &Submission) -> Result<(), EngineError> {
        let project = self
            .load_current::<onego_domain::project::Project>(pid)
            .await
            .map_err(|e| match e {
                EngineError::NotFound(_) => EngineError::Invalid(
                    Msg::new(
                        "no_such_project",
                        format!("没有第 {pid} 号项目"),
                        format!("there is no project {pid}"),
                    )
                    .at("project"),
                ),
                other => other,
            })?;
        if project.value.investor.id != submission.applicant.id {
            return Err(EngineError::Invalid(
                Msg::new(
                    "project_not_applicants",
                    format!("项目“{}”不是本申请人的项目；项目的审批事项须以建设单位名义申请", project.value.name),
                    format!("“{}” is not the applicant's project; its procedures are applied for in the investing enterprise's name", project.value.name),
                )
                .at("project"),
            ));
        }
        if matches!(submission.subject, onego_domain::case::SubjectRef::Bundle { .. }) {
            return Err(EngineError::Invalid(
                Msg::new(
                    "project_item_only",
                    "项目的审批事项逐项申请，不能以“一件事”申请",
                    "a project's procedures are applied for one item at a time",
                )
                .at("project"),
            ));
        }
        Ok(())
    }

    /// A case as the actor may see it (not found, rather than forbidden, for anyone else: whether a case
    /// number exists is not revealed).
    pub async fn case(&self, actor: &Actor, id: CaseId) -> Result<Arc<StoredCase>, EngineError> {
        self.view::<Case>(actor, id).await
    }
}
