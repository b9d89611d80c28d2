//! Requests on the engine: `open_ticket` (intake: the category filled in from its code, answers
//! checked, the grid found, an enterprise whistle dispatched at once), `run_ticket` (any command on
//! one: a merge's target found by its number, a dispatch teaching routing), reading one as a person may
//! see it, and the commands a reader may issue now.

use std::sync::Arc;

use onego_calendar::{Timestamp, WorkingCalendar};
use onego_domain::grid::{self, GridLevel};
use onego_domain::hotline::{Hotline, WHISTLE_SLA};
use onego_domain::org::{Actor, Role};
use onego_domain::policy;
use onego_domain::ticket::{
    Intake, MergeTarget, Ticket, TicketChannel, TicketCommand, TicketCommandKind, TicketContext,
};
use onego_domain::values::{Code, FileRef};

use onego_domain::messages::Msg;

use super::{Engine, EngineError, Outcome};
use crate::StoreError;
use crate::aggregate::Stored;
use crate::routing::{OVERRIDE_WEIGHT, RouteSuggestion, past_dispatches};

impl Engine {
    /// Trains routing from the most recent past dispatches (at start-up). Returns how many.
    pub fn train_routing(&self, limit: i64) -> Result<usize, StoreError> {
        let past = self.store.read_blocking(move |c| past_dispatches(c, limit))?;
        for (content, category, lead) in &past {
            let words = self.routing.words(content);
            self.routing.learn(&words, category, lead, 1.0);
        }
        Ok(past.len())
    }

    /// Routing suggestions for a request's text.
    pub fn suggest(&self, text: &str, n: usize) -> Vec<RouteSuggestion> {
        let words = self.routing.words(text);
        self.routing.suggest_words(&words, n, &self.hotline())
    }

    pub(super) fn departments(&self) -> Vec<Code> {
        self.catalog()
            .departments
            .iter()
            .map(|d| d.code.clone())
            .collect()
    }

    fn ticket_context<'a>(
        &'a self,
        actor: &'a Actor,
        now: Timestamp,
        calendar: &'a WorkingCalendar,
        hotline: &'a Hotline,
        departments: &'a [Code],
        merge_target: Option<MergeTarget>,
    ) -> TicketContext<'a> {
        TicketContext {
            now,
            actor,
            calendar,
            policy: self.config.policy,
            hotline,
            departments,
            merge_target,
        }
    }

    /// Registers a request, with any photos the actor uploaded for it (tied to it in the same commit).
    pub async fn open_ticket(
        &self,
        actor: &Actor,
        mut intake: Intake,
        photos: &[FileRef],
        now: Timestamp,
    ) -> Result<Outcome<Ticket>, EngineError> {
        policy::authorize_intake(actor, &intake)?;
        for a in &intake.attachments {
            crate::ticket::check_media_url(a).map_err(|m| EngineError::Invalid(m.into()))?;
        }
        let attach = self.check_files(actor, None, photos).await?;
        let hotline = self.hotline();
        let departments = self.departments();
        let category = hotline.category(intake.category.code.as_str()).ok_or_else(|| {
            let c = &intake.category.code;
            EngineError::Invalid(Msg::new(
                "no_such_category",
                format!("没有分类 {c}，请从列表中选择"),
                format!("there is no category {c}; choose one from the list"),
            ))
        })?;
        category
            .check_attributes(&intake.attributes)
            .map_err(|m| EngineError::Invalid(m.into()))?;
        intake.category = category.category();
        if let Some(d) = intake.summoned.iter().find(|d| !departments.contains(d)) {
            return Err(EngineError::Invalid(Msg::new(
                "no_such_department",
                format!("没有单位 {d}，请从列表中选择"),
                format!("there is no department {d}; choose one from the list"),
            )));
        }
        if !intake.summoned.is_empty() && intake.channel != TicketChannel::Enterprise {
            return Err(EngineError::Invalid(
                "departments are summoned by an enterprise whistle (channel \"enterprise\")".into(),
            ));
        }
        intake.grid = intake
            .location
            .as_ref()
            .and_then(|l| grid::locate(&hotline.areas, l.lon, l.lat))
            .filter(|a| a.level != GridLevel::Region)
            .map(|a| a.code.clone());
        if intake.channel == TicketChannel::Grid {
            match (&intake.grid, &actor.department) {
                (None, _) => {
                    return Err(EngineError::Invalid(Msg::new(
                        "outside_every_grid",
                        "该位置不在任何网格内，请核对经纬度",
                        "the location is outside every grid; check the coordinates (latitude, longitude)",
                    )));
                }
                (Some(g), Some(mine)) if actor.role == Role::GridMember => {
                    // A grid member reports in their own area (or an area inside it).
                    let inside = std::iter::successors(hotline.area(g.as_str()), |a| {
                        a.parent.as_ref().and_then(|p| hotline.area(p.as_str()))
                    })
                    .any(|a| a.code == *mine);
                    if !inside {
                        let name = |code: &str| {
                            hotline
                                .area(code)
                                .map(|a| a.name.clone())
                                .unwrap_or_else(|| code.to_owned())
                        };
                        let (there, mine) = (name(g.as_str()), name(mine.as_str()));
                        return Err(EngineError::Denied(Msg::new(
                            "outside_own_area",
                            format!(
                                "该地点位于{there}，不在您负责的网格（{mine}）内；请核对位置，或转交该网格上报"
                            ),
                            format!(
                                "the location lies in {there}, outside your area {mine}; check the location, or pass it to that grid"
                            ),
                        )));
                    }
                }
                _ => {}
            }
        }
        let (id, number) = self.next_ticket_number(now).await?;
        let (ticket, entries) = self.receive_ticket(actor, intake, id, number, now)?;
        let stored = self.create(ticket, &entries, now, attach.as_ref()).await?;
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// A new request's id and number: R + region + date + sequence, apart from case numbers.
    pub(super) async fn next_ticket_number(&self, now: Timestamp) -> Result<(i64, String), EngineError> {
        let (id, number) = self.next_ids_for("ticket_no", now).await?;
        Ok((id, format!("R{number}")))
    }

    /// A request as received (its checked intake), dispatched at once to the departments an enterprise
    /// whistle names: the state and entries to create, for `open_ticket` and for a project's problem
    /// whistled in the project's own commit.
    pub(super) fn receive_ticket(
        &self,
        actor: &Actor,
        intake: Intake,
        id: i64,
        number: String,
        now: Timestamp,
    ) -> Result<(Ticket, Vec<onego_domain::ticket::TicketEntry>), EngineError> {
        let hotline = self.hotline();
        let departments = self.departments();
        let (mut ticket, first) = Ticket::receive(id, number, intake, actor, now)?;
        let mut entries = vec![first];
        if !ticket.summoned.is_empty() {
            // An enterprise whistle goes at once to the departments it names (企业吹哨，部门报到).
            let system = Actor::system();
            let calendar = self.calendar();
            let ctx = self.ticket_context(&system, now, &calendar, &hotline, &departments, None);
            let cmd = TicketCommand::Dispatch {
                lead: ticket.summoned[0].clone(),
                assisting: ticket.summoned[1..].to_vec(),
                category: None,
                sla: Some(Code::parse(WHISTLE_SLA).map_err(|e| EngineError::Configuration(e.to_string()))?),
                note: "企业吹哨，部门报到".into(),
            };
            for e in ticket.decide(&ctx, &cmd)? {
                ticket.apply(&e);
                entries.push(e);
            }
        }
        Ok((ticket, entries))
    }

    /// Runs a command on a request. A merge's target is found by its number first; a dispatch teaches
    /// routing what the dispatcher chose (an override, more).
    pub async fn run_ticket(
        &self,
        actor: &Actor,
        id: i64,
        cmd: &TicketCommand,
        now: Timestamp,
    ) -> Result<Outcome<Ticket>, EngineError> {
        let current = self.load_current::<Ticket>(id).await?;
        if !policy::can_view_ticket(actor, &current.value) && actor.role != Role::Dispatcher {
            return Err(EngineError::NotFound(super::path::not_found_msg(
                onego_domain::aggregate::AggregateKind::Ticket,
                id,
            )));
        }
        let merge_target = match cmd {
            TicketCommand::Merge { into } => self.merge_target(into).await?,
            _ => None,
        };
        // What routing would have said, to weigh the dispatcher's choice when learning.
        let suggested = match cmd {
            TicketCommand::Dispatch { .. } => {
                let words = self.routing.words(&current.value.content);
                let top = self.routing.suggest_words(&words, 1, &self.hotline());
                Some((words, top.into_iter().next()))
            }
            _ => None,
        };
        let hotline = self.hotline();
        let departments = self.departments();
        let (stored, entries) = self
            .run::<Ticket>(id, now, None, |t| {
                policy::authorize_ticket_command(actor, t, cmd)?;
                let calendar = self.calendar();
                let ctx = self.ticket_context(
                    actor,
                    now,
                    &calendar,
                    &hotline,
                    &departments,
                    merge_target.clone(),
                );
                Ok(t.decide(&ctx, cmd)?)
            })
            .await?;
        if let (Some((words, top)), TicketCommand::Dispatch { lead, .. }) = (suggested, cmd)
            && !entries.is_empty()
        {
            let category = stored.value.category.code.as_str();
            let overridden = top.is_some_and(|s| s.category != category || s.department != lead.as_str());
            let weight = if overridden { OVERRIDE_WEIGHT } else { 1.0 };
            self.routing.learn(&words, category, lead.as_str(), weight);
        }
        Ok(Outcome {
            state: Arc::new(stored.value.clone()),
            entries,
        })
    }

    /// The request a merge names by number, as committed.
    async fn merge_target(&self, number: &str) -> Result<Option<MergeTarget>, EngineError> {
        let n = number.trim().to_owned();
        let Some(id) = self
            .store
            .read(move |c| crate::ticket::ticket_id_by_number(c, &n))
            .await?
        else {
            return Ok(None);
        };
        let target = self.load_current::<Ticket>(id).await?;
        Ok(Some(MergeTarget {
            id,
            number: target.value.number.clone(),
            status: target.value.status,
        }))
    }

    /// A request as the actor may see it.
    pub async fn ticket(&self, actor: &Actor, id: i64) -> Result<Arc<Stored<Ticket>>, EngineError> {
        self.view::<Ticket>(actor, id).await
    }

    /// A request with no actor: for the public tracking page and Open311, which show only what the public
    /// may see.
    pub async fn ticket_public(&self, id: i64) -> Result<Arc<Stored<Ticket>>, EngineError> {
        self.load_current::<Ticket>(id).await
    }

    /// The commands `actor` may issue on a request now.
    pub fn ticket_available(&self, actor: &Actor, t: &Ticket, now: Timestamp) -> Vec<TicketCommandKind> {
        let (calendar, hotline, departments) = (self.calendar(), self.hotline(), self.departments());
        t.available(&self.ticket_context(actor, now, &calendar, &hotline, &departments, None))
    }
}
