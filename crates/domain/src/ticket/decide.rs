//! Deciding a command on a request. What the request's state allows is said once, per kind of command,
//! in [`Ticket::allowed_now`]: `decide` checks it first, and [`Ticket::available`] (the commands a reader
//! may issue now, for pages, API and Open311) asks the same question without a payload. Then each
//! command's own rule checks what it carries and emits the entries to record.

use super::*;
use crate::policy;

impl Ticket {
    /// Whether the request's state allows a kind of command now, for this actor (a report depends on
    /// who reports). Payloads are checked by `decide`.
    pub fn allowed_now(&self, kind: TicketCommandKind, ctx: &TicketContext<'_>) -> Result<(), TicketError> {
        use TicketCommandKind as K;
        let status = self.status;
        if status == TicketStatus::Merged && kind != K::CheckClock {
            return now_illegal("this request was merged into another; act on that one");
        }
        let overdue = |clock| {
            self.read(clock, ctx.calendar, ctx.policy, ctx.now)
                .is_some_and(|r| r.state == ClockState::Overdue)
        };
        match kind {
            K::Dispatch if status != TicketStatus::Received => now_illegal(format!(
                "only a request waiting for dispatch can be dispatched; it is {}",
                status.zh()
            )),
            K::Sign if status != TicketStatus::Dispatched => now_illegal(format!(
                "only a dispatched request can be signed; it is {}",
                status.zh()
            )),
            K::Return if status != TicketStatus::Dispatched => {
                now_illegal("a request can be returned only before it is signed")
            }
            // A return after the response deadline is refused: the department must handle it.
            K::Return if overdue(TicketClock::Response) => {
                now_illegal("the time to return this request has passed; sign it and handle it")
            }
            K::GiveFeedback if status != TicketStatus::Handling => {
                now_illegal("feedback is given while handling")
            }
            K::RequestExtension if status != TicketStatus::Handling => {
                now_illegal("more time can be asked only while handling")
            }
            K::RequestExtension if self.pending_extension.is_some() => {
                now_illegal("a request for more time is already waiting for the centre")
            }
            K::RequestExtension if self.sla.is_none() => now_illegal("not dispatched"),
            K::RequestExtension if overdue(TicketClock::Solve) => {
                now_illegal("more time must be asked before the deadline")
            }
            K::DecideExtension if self.pending_extension.is_none() => {
                now_illegal("no request for more time is waiting")
            }
            K::Reply if status != TicketStatus::Handling => {
                now_illegal("a request is answered while it is being handled")
            }
            K::ReturnVisit if status != TicketStatus::Replied => {
                now_illegal("the return visit follows the answer")
            }
            K::Merge if status == TicketStatus::Closed => now_illegal("a closed request is not merged"),
            K::Supervise if matches!(status, TicketStatus::Closed | TicketStatus::Received) => {
                now_illegal("supervision applies to requests that are with a department")
            }
            K::Supervise if self.supervision == Some(SupervisionLevel::Listed) => {
                now_illegal("this request is already under listed supervision (挂牌督办)")
            }
            K::Report => {
                if !matches!(status, TicketStatus::Dispatched | TicketStatus::Handling) {
                    return now_illegal("a department reports while the request is with departments");
                }
                let Some(department) = &ctx.actor.department else {
                    return invalid("report as a department");
                };
                if !self.summoned.contains(department) && !self.assisting.contains(department) {
                    return now_illegal("only a department named on the request reports to it");
                }
                if self.reports.iter().any(|(d, _)| d == department) {
                    return now_illegal("your department has already reported");
                }
                Ok(())
            }
            K::ResolveInGrid if self.holder.is_none() || status != TicketStatus::Received => {
                now_illegal("only a matter held in a grid, community or street is resolved there")
            }
            K::Escalate if self.holder.is_none() || status != TicketStatus::Received => {
                now_illegal("only a matter held in a grid, community or street is escalated")
            }
            _ => Ok(()),
        }
    }

    /// The commands `actor` may issue on this request now: those the policy allows them and the state
    /// allows now. Pages show a form for each, the API lists them, Open311 does not offer them.
    pub fn available(&self, ctx: &TicketContext<'_>) -> Vec<TicketCommandKind> {
        TicketCommandKind::BY_PEOPLE
            .into_iter()
            .filter(|k| {
                policy::authorize_ticket_kind(ctx.actor, self, *k).is_ok()
                    && self.allowed_now(*k, ctx).is_ok()
            })
            .collect()
    }

    /// Decides a command: the entries to record, or why it cannot be done. Authorisation is checked
    /// before (see [`crate::policy`]); this checks what the state allows and what the command carries.
    pub fn decide(
        &self,
        ctx: &TicketContext<'_>,
        cmd: &TicketCommand,
    ) -> Result<Vec<TicketEntry>, TicketError> {
        self.allowed_now(cmd.kind(), ctx)?;
        let mut run = Run {
            ticket: self,
            ctx,
            out: Vec::new(),
        };
        match cmd {
            TicketCommand::Dispatch {
                lead,
                assisting,
                category,
                sla,
                note,
            } => run.dispatch(lead, assisting, category.as_ref(), sla.as_ref(), note),
            TicketCommand::Sign => run.sign(),
            TicketCommand::Return { reason } => run.give_back(reason),
            TicketCommand::GiveFeedback { text } => run.give_feedback(text),
            TicketCommand::RequestExtension { limit, reason } => run.request_extension(*limit, reason),
            TicketCommand::DecideExtension { granted, reason } => run.decide_extension(*granted, reason),
            TicketCommand::Reply { answer } => run.reply(answer),
            TicketCommand::ReturnVisit {
                solved,
                satisfaction,
                note,
            } => run.return_visit(*solved, *satisfaction, note),
            TicketCommand::Merge { into } => run.merge(into),
            TicketCommand::Supervise { reason } => run.supervise(reason),
            TicketCommand::Report => run.report(),
            TicketCommand::ResolveInGrid { answer } => run.resolve_in_grid(answer),
            TicketCommand::Escalate { reason } => run.escalate(reason),
            TicketCommand::CheckClock { clock, alarm } => run.check_clock(*clock, *alarm),
        }?;
        Ok(run.out)
    }

    pub(super) fn next_supervision(&self) -> SupervisionLevel {
        match self.supervision {
            None => SupervisionLevel::Urge,
            Some(l) => l.next().unwrap_or(SupervisionLevel::Listed),
        }
    }
}

/// A decision in progress: the request as it stands and the entries so far. Each rule runs after
/// [`Ticket::allowed_now`] said yes.
struct Run<'t, 'c, 'a> {
    ticket: &'t Ticket,
    ctx: &'c TicketContext<'a>,
    out: Vec<TicketEntry>,
}

impl Run<'_, '_, '_> {
    fn emit(&mut self, event: TicketEvent) {
        self.out.push(TicketEntry {
            at: self.ctx.now,
            actor: self.ctx.actor.clone(),
            event,
        });
    }

    fn acting_department(&self, what: &str) -> Result<Code, TicketError> {
        self.ctx
            .actor
            .department
            .clone()
            .ok_or_else(|| TicketError::Invalid(Msg::from(format!("{what} as a department"))))
    }

    fn dispatch(
        &mut self,
        lead: &Code,
        assisting: &[Code],
        category: Option<&Code>,
        sla: Option<&Code>,
        note: &str,
    ) -> Result<(), TicketError> {
        let ctx = self.ctx;
        for d in std::iter::once(lead).chain(assisting) {
            if !ctx.departments.contains(d) {
                return invalid(Msg::new(
                    "no_such_department",
                    format!("没有单位 {d}，请从列表中选择"),
                    format!("there is no department {d}; choose one from the list"),
                ));
            }
        }
        if assisting.contains(lead) {
            return invalid(Msg::new(
                "lead_cannot_assist",
                "主办单位不能同时是协办单位",
                "the lead department cannot also assist",
            ));
        }
        let category = category.unwrap_or(&self.ticket.category.code);
        let cat = ctx.hotline.category(category.as_str()).ok_or_else(|| {
            TicketError::Invalid(Msg::new(
                "no_such_category",
                format!("没有分类 {category}，请从列表中选择"),
                format!("there is no category {category}; choose one from the list"),
            ))
        })?;
        let sla = sla.unwrap_or(&cat.sla);
        let sla = ctx.hotline.sla(sla.as_str()).cloned().ok_or_else(|| {
            TicketError::Invalid(Msg::new(
                "no_such_sla",
                format!("没有时限标准 {sla}，请从列表中选择"),
                format!("there is no SLA profile {sla}; choose one from the list"),
            ))
        })?;
        self.emit(TicketEvent::Dispatched {
            lead: lead.clone(),
            assisting: assisting.to_vec(),
            sla,
            note: note.trim().to_owned(),
        });
        Ok(())
    }

    fn sign(&mut self) -> Result<(), TicketError> {
        let department = self.acting_department("sign")?;
        self.emit(TicketEvent::Signed { department });
        Ok(())
    }

    fn give_back(&mut self, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid("say why the request is not yours (退单理由), so the dispatcher can reassign it");
        }
        let department = self.acting_department("return")?;
        self.emit(TicketEvent::Returned {
            department,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn give_feedback(&mut self, text: &str) -> Result<(), TicketError> {
        if text.trim().is_empty() {
            return invalid("write the feedback to the requester");
        }
        self.emit(TicketEvent::FeedbackGiven {
            text: text.trim().to_owned(),
        });
        Ok(())
    }

    fn request_extension(&mut self, limit: Limit, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid("give the reason for more time");
        }
        let solve = self.ticket.sla.as_ref().map(|s| s.solve);
        if solve.is_none_or(|s| !limit.same_unit(s)) || limit.amount() == 0 {
            return invalid("ask for more time in the unit of the solve limit, at least one");
        }
        self.emit(TicketEvent::ExtensionRequested {
            limit,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn decide_extension(&mut self, granted: bool, reason: &str) -> Result<(), TicketError> {
        self.emit(TicketEvent::ExtensionDecided {
            granted,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn reply(&mut self, answer: &str) -> Result<(), TicketError> {
        if answer.trim().chars().count() < 4 {
            return invalid("write the answer to the requester (答复内容)");
        }
        self.emit(TicketEvent::Replied {
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn return_visit(&mut self, solved: bool, satisfaction: u8, note: &str) -> Result<(), TicketError> {
        if !(1..=5).contains(&satisfaction) {
            return invalid("satisfaction is 1 (非常不满意) to 5 (非常满意)");
        }
        self.emit(TicketEvent::ReturnVisited {
            solved,
            satisfaction,
            note: note.trim().to_owned(),
        });
        if solved {
            self.emit(TicketEvent::Closed);
        } else {
            let reason = if note.trim().is_empty() {
                "回访未解决".into()
            } else {
                note.trim().to_owned()
            };
            self.emit(TicketEvent::Reopened { reason });
            // Not solved, or dissatisfied: supervision rises.
            let level = self.ticket.next_supervision();
            self.emit(TicketEvent::Supervised {
                level,
                reason: "回访未解决".into(),
            });
        }
        Ok(())
    }

    fn merge(&mut self, into: &str) -> Result<(), TicketError> {
        let target = self
            .ctx
            .merge_target
            .as_ref()
            .filter(|t| t.number == into.trim())
            .ok_or_else(|| {
                TicketError::Invalid(Msg::new(
                    "no_merge_target",
                    format!("没有编号为 {into} 的诉求，无法并单；请核对编号"),
                    format!("there is no request {into} to merge into; check the number"),
                ))
            })?;
        if target.id == self.ticket.id {
            return invalid("a request cannot be merged into itself");
        }
        if target.status == TicketStatus::Merged {
            return invalid(format!("{into} was itself merged; merge into the one it went to"));
        }
        self.emit(TicketEvent::Merged { into: target.id });
        Ok(())
    }

    fn supervise(&mut self, reason: &str) -> Result<(), TicketError> {
        let level = self.ticket.next_supervision();
        self.emit(TicketEvent::Supervised {
            level,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn report(&mut self) -> Result<(), TicketError> {
        let department = self.acting_department("report")?;
        self.emit(TicketEvent::Reported { department });
        Ok(())
    }

    fn resolve_in_grid(&mut self, answer: &str) -> Result<(), TicketError> {
        if answer.trim().chars().count() < 4 {
            return invalid("say how the matter was resolved (处置情况)");
        }
        let Some(area) = self.ticket.holder.clone() else {
            return now_illegal("only a matter held in a grid, community or street is resolved there");
        };
        self.emit(TicketEvent::ResolvedInGrid {
            area,
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn escalate(&mut self, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid("say why the matter needs the level above (上报理由)");
        }
        let Some(from) = self.ticket.holder.clone() else {
            return now_illegal("only a matter held in a grid, community or street is escalated");
        };
        let areas = &self.ctx.hotline.areas;
        let to = areas
            .iter()
            .find(|a| a.code == from)
            .and_then(|a| a.parent.clone())
            .filter(|p| {
                // The region level is the grid centre: it dispatches, so the matter leaves the grid levels.
                areas
                    .iter()
                    .any(|a| a.code == *p && a.level != crate::grid::GridLevel::Region)
            });
        self.emit(TicketEvent::Escalated {
            from,
            to,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn check_clock(&mut self, clock: TicketClock, alarm: Alarm) -> Result<(), TicketError> {
        let (t, ctx) = (self.ticket, self.ctx);
        if t.alarms.contains(&(clock, alarm)) || t.clock_met(clock).is_some() {
            return Ok(());
        }
        let Some(r) = t.read(clock, ctx.calendar, ctx.policy, ctx.now) else {
            return Ok(());
        };
        let fire = match alarm {
            Alarm::Warning => matches!(r.state, ClockState::Warning | ClockState::Overdue),
            Alarm::Overdue => r.state == ClockState::Overdue,
        };
        if fire {
            self.emit(TicketEvent::Alarmed { clock, alarm });
            if alarm == Alarm::Overdue && t.supervision.is_none_or(|s| s < SupervisionLevel::Listed) {
                self.emit(TicketEvent::Supervised {
                    level: t.next_supervision(),
                    reason: "超期自动督办".into(),
                });
            }
        }
        Ok(())
    }
}
