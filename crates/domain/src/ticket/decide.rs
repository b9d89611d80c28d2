//! Deciding a command on a request: each command has its own rule below, called from one match, and
//! every rule emits the entries to record through [`Run::emit`].

use super::*;

impl Ticket {
    /// Decides a command: the entries to record, or why it cannot be done. Authorisation is checked
    /// before (see [`crate::policy`]); this checks what the state allows.
    pub fn decide(
        &self,
        ctx: &TicketContext<'_>,
        cmd: &TicketCommand,
    ) -> Result<Vec<TicketEntry>, TicketError> {
        if matches!(self.status, TicketStatus::Merged) && !matches!(cmd, TicketCommand::CheckClock { .. }) {
            return now_illegal("this request was merged into another; act on that one");
        }
        let mut run = Run {
            ticket: self,
            ctx,
            out: Vec::new(),
        };
        match cmd {
            TicketCommand::Dispatch {
                lead,
                assisting,
                sla,
                note,
            } => run.dispatch(lead, assisting, sla, note),
            TicketCommand::Sign => run.sign(),
            TicketCommand::Return { reason } => run.give_back(reason),
            TicketCommand::GiveFeedback { text } => run.give_feedback(text),
            TicketCommand::RequestExtension { limit, reason } => run.request_extension(limit, reason),
            TicketCommand::DecideExtension { granted, reason } => run.decide_extension(granted, reason),
            TicketCommand::Reply { answer } => run.reply(answer),
            TicketCommand::ReturnVisit {
                solved,
                satisfaction,
                note,
            } => run.return_visit(solved, satisfaction, note),
            TicketCommand::Merge { into } => run.merge(into),
            TicketCommand::Supervise { reason } => run.supervise(reason),
            TicketCommand::Report => run.report(),
            TicketCommand::ResolveInGrid { answer } => run.resolve_in_grid(answer),
            TicketCommand::Escalate { reason } => run.escalate(reason),
            TicketCommand::CheckClock { clock, alarm } => run.check_clock(clock, alarm),
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

/// A decision in progress: the request as it stands and the entries so far.
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

    fn dispatch(
        &mut self,
        lead: &Code,
        assisting: &[Code],
        sla: &SlaProfile,
        note: &str,
    ) -> Result<(), TicketError> {
        let status = self.ticket.status;
        if status != TicketStatus::Received {
            return now_illegal(format!(
                "only a request waiting for dispatch can be dispatched; it is {}",
                status.zh()
            ));
        }
        if assisting.contains(lead) {
            return invalid("the lead department cannot also assist");
        }
        self.emit(TicketEvent::Dispatched {
            lead: lead.clone(),
            assisting: assisting.to_vec(),
            sla: sla.clone(),
            note: note.trim().to_owned(),
        });
        Ok(())
    }

    fn sign(&mut self) -> Result<(), TicketError> {
        let (ctx, status) = (self.ctx, self.ticket.status);
        if status != TicketStatus::Dispatched {
            return now_illegal(format!(
                "only a dispatched request can be signed; it is {}",
                status.zh()
            ));
        }
        let department = ctx
            .actor
            .department
            .clone()
            .ok_or_else(|| TicketError::Invalid("sign as a department".into()))?;
        self.emit(TicketEvent::Signed { department });
        Ok(())
    }

    fn give_back(&mut self, reason: &str) -> Result<(), TicketError> {
        let (t, ctx, status) = (self.ticket, self.ctx, self.ticket.status);
        if status != TicketStatus::Dispatched {
            return now_illegal("a request can be returned only before it is signed");
        }
        if reason.trim().is_empty() {
            return invalid("say why the request is not yours (退单理由), so the dispatcher can reassign it");
        }
        // A return after the response deadline is refused: the department must handle it.
        if let Some(r) = t.read(TicketClock::Response, ctx.calendar, ctx.policy, ctx.now)
            && r.state == ClockState::Overdue
        {
            return now_illegal("the time to return this request has passed; sign it and handle it");
        }
        let department = ctx
            .actor
            .department
            .clone()
            .ok_or_else(|| TicketError::Invalid("return as a department".into()))?;
        self.emit(TicketEvent::Returned {
            department,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn give_feedback(&mut self, text: &str) -> Result<(), TicketError> {
        let status = self.ticket.status;
        if status != TicketStatus::Handling {
            return now_illegal("feedback is given while handling");
        }
        if text.trim().is_empty() {
            return invalid("write the feedback to the requester");
        }
        self.emit(TicketEvent::FeedbackGiven {
            text: text.trim().to_owned(),
        });
        Ok(())
    }

    fn request_extension(&mut self, limit: &Limit, reason: &str) -> Result<(), TicketError> {
        let (t, ctx, status) = (self.ticket, self.ctx, self.ticket.status);
        if status != TicketStatus::Handling {
            return now_illegal("more time can be asked only while handling");
        }
        if t.pending_extension.is_some() {
            return now_illegal("a request for more time is already waiting for the centre");
        }
        if reason.trim().is_empty() {
            return invalid("give the reason for more time");
        }
        let Some(sla) = &t.sla else {
            return now_illegal("not dispatched");
        };
        if !limit.same_unit(sla.solve) || limit.amount() == 0 {
            return invalid("ask for more time in the unit of the solve limit, at least one");
        }
        if let Some(r) = t.read(TicketClock::Solve, ctx.calendar, ctx.policy, ctx.now)
            && r.state == ClockState::Overdue
        {
            return now_illegal("more time must be asked before the deadline");
        }
        self.emit(TicketEvent::ExtensionRequested {
            limit: *limit,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn decide_extension(&mut self, granted: &bool, reason: &str) -> Result<(), TicketError> {
        let t = self.ticket;
        if t.pending_extension.is_none() {
            return now_illegal("no request for more time is waiting");
        }
        self.emit(TicketEvent::ExtensionDecided {
            granted: *granted,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn reply(&mut self, answer: &str) -> Result<(), TicketError> {
        let status = self.ticket.status;
        if status != TicketStatus::Handling {
            return now_illegal("a request is answered while it is being handled");
        }
        if answer.trim().chars().count() < 4 {
            return invalid("write the answer to the requester (答复内容)");
        }
        self.emit(TicketEvent::Replied {
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn return_visit(&mut self, solved: &bool, satisfaction: &u8, note: &str) -> Result<(), TicketError> {
        let (t, status) = (self.ticket, self.ticket.status);
        if status != TicketStatus::Replied {
            return now_illegal("the return visit follows the answer");
        }
        if !(1..=5).contains(satisfaction) {
            return invalid("satisfaction is 1 (非常不满意) to 5 (非常满意)");
        }
        self.emit(TicketEvent::ReturnVisited {
            solved: *solved,
            satisfaction: *satisfaction,
            note: note.trim().to_owned(),
        });
        if *solved {
            self.emit(TicketEvent::Closed);
        } else {
            self.emit(TicketEvent::Reopened {
                reason: if note.trim().is_empty() {
                    "回访未解决".into()
                } else {
                    note.trim().to_owned()
                },
            });
            // Not solved, or dissatisfied: supervision rises.
            self.emit(TicketEvent::Supervised {
                level: t.next_supervision(),
                reason: "回访未解决".into(),
            });
        }
        Ok(())
    }

    fn merge(&mut self, into: &i64) -> Result<(), TicketError> {
        let (t, status) = (self.ticket, self.ticket.status);
        if *into == t.id {
            return invalid("a request cannot be merged into itself");
        }
        if matches!(status, TicketStatus::Closed) {
            return now_illegal("a closed request is not merged");
        }
        self.emit(TicketEvent::Merged { into: *into });
        Ok(())
    }

    fn supervise(&mut self, reason: &str) -> Result<(), TicketError> {
        let (t, status) = (self.ticket, self.ticket.status);
        if matches!(status, TicketStatus::Closed | TicketStatus::Received) {
            return now_illegal("supervision applies to requests that are with a department");
        }
        if t.supervision == Some(SupervisionLevel::Listed) {
            return now_illegal("this request is already under listed supervision (挂牌督办)");
        }
        self.emit(TicketEvent::Supervised {
            level: t.next_supervision(),
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn report(&mut self) -> Result<(), TicketError> {
        let (t, ctx, status) = (self.ticket, self.ctx, self.ticket.status);
        if !matches!(status, TicketStatus::Dispatched | TicketStatus::Handling) {
            return now_illegal("a department reports while the request is with departments");
        }
        let Some(department) = ctx.actor.department.clone() else {
            return invalid("report as a department");
        };
        if !t.summoned.contains(&department) && !t.assisting.contains(&department) {
            return now_illegal("only a department named on the request reports to it");
        }
        if t.reports.iter().any(|(d, _)| *d == department) {
            return now_illegal("your department has already reported");
        }
        self.emit(TicketEvent::Reported { department });
        Ok(())
    }

    fn resolve_in_grid(&mut self, answer: &str) -> Result<(), TicketError> {
        let (t, status) = (self.ticket, self.ticket.status);
        let Some(area) = t.holder.clone().filter(|_| status == TicketStatus::Received) else {
            return now_illegal("only a matter held in a grid, community or street is resolved there");
        };
        if answer.trim().chars().count() < 4 {
            return invalid("say how the matter was resolved (处置情况)");
        }
        self.emit(TicketEvent::ResolvedInGrid {
            area,
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn escalate(&mut self, reason: &str) -> Result<(), TicketError> {
        let (t, ctx, status) = (self.ticket, self.ctx, self.ticket.status);
        let Some(from) = t.holder.clone().filter(|_| status == TicketStatus::Received) else {
            return now_illegal("only a matter held in a grid, community or street is escalated");
        };
        if reason.trim().is_empty() {
            return invalid("say why the matter needs the level above (上报理由)");
        }
        let to = ctx
            .areas
            .iter()
            .find(|a| a.code == from)
            .and_then(|a| a.parent.clone())
            .filter(|p| {
                // The region level is the grid centre: it dispatches, so the matter leaves the grid levels.
                ctx.areas
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

    fn check_clock(&mut self, clock: &TicketClock, alarm: &Alarm) -> Result<(), TicketError> {
        let (t, ctx) = (self.ticket, self.ctx);
        if t.alarms.contains(&(*clock, *alarm)) || t.clock_met(*clock).is_some() {
            return Ok(());
        }
        let Some(r) = t.read(*clock, ctx.calendar, ctx.policy, ctx.now) else {
            return Ok(());
        };
        let fire = match alarm {
            Alarm::Warning => matches!(r.state, ClockState::Warning | ClockState::Overdue),
            Alarm::Overdue => r.state == ClockState::Overdue,
        };
        if fire {
            self.emit(TicketEvent::Alarmed {
                clock: *clock,
                alarm: *alarm,
            });
            if *alarm == Alarm::Overdue && t.supervision.is_none_or(|s| s < SupervisionLevel::Listed) {
                self.emit(TicketEvent::Supervised {
                    level: t.next_supervision(),
                    reason: "超期自动督办".into(),
                });
            }
        }
        Ok(())
    }
}
