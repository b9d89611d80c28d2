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
            return now_illegal(Msg::new(
                "ticket_merged",
                "该诉求已并单到另一件诉求，请在那一件上办理",
                "this request was merged into another; act on that one",
            ));
        }
        let overdue = |clock| {
            self.read(clock, ctx.calendar, ctx.policy, ctx.now)
                .is_some_and(|r| r.state == ClockState::Overdue)
        };
        match kind {
            K::Dispatch if status != TicketStatus::Received => now_illegal(Msg::new(
                "dispatch_not_received",
                format!("只有待派单的诉求才能派单；该诉求{}", status.zh()),
                format!(
                    "only a request waiting for dispatch can be dispatched; it is {}",
                    status.zh()
                ),
            )),
            K::Sign if status != TicketStatus::Dispatched => now_illegal(Msg::new(
                "sign_not_dispatched",
                format!("只有已派单待签收的诉求才能签收；该诉求{}", status.zh()),
                format!("only a dispatched request can be signed; it is {}", status.zh()),
            )),
            K::Return if status != TicketStatus::Dispatched => now_illegal(Msg::new(
                "return_after_sign",
                "诉求签收前才能退单；已签收的诉求请继续办理",
                "a request can be returned only before it is signed",
            )),
            // A return after the response deadline is refused: the department must handle it.
            K::Return if overdue(TicketClock::Response) => now_illegal(Msg::new(
                "return_too_late",
                "退单时限已过，请签收并办理该诉求",
                "the time to return this request has passed; sign it and handle it",
            )),
            K::GiveFeedback if status != TicketStatus::Handling => now_illegal(Msg::new(
                "feedback_not_handling",
                "诉求签收后、办理期间才能反馈",
                "feedback is given while handling",
            )),
            K::RequestExtension if status != TicketStatus::Handling => now_illegal(Msg::new(
                "ticket_extension_not_handling",
                "诉求办理期间才能申请延期",
                "more time can be asked only while handling",
            )),
            K::RequestExtension if self.pending_extension.is_some() => now_illegal(Msg::new(
                "ticket_extension_pending",
                "已有一份延期申请等待12345中心审核，请等待审核结果",
                "a request for more time is already waiting for the centre",
            )),
            K::RequestExtension if self.sla.is_none() => now_illegal(Msg::new(
                "ticket_not_dispatched",
                "该诉求尚未派单，没有可延期的办结时限",
                "not dispatched",
            )),
            K::RequestExtension if overdue(TicketClock::Solve) => now_illegal(Msg::new(
                "extension_after_deadline",
                "已超过办结时限；延期须在时限届满前申请",
                "more time must be asked before the deadline",
            )),
            K::DecideExtension if self.pending_extension.is_none() => now_illegal(Msg::new(
                "ticket_no_extension_pending",
                "没有待审核的延期申请",
                "no request for more time is waiting",
            )),
            K::Reply if status != TicketStatus::Handling => now_illegal(Msg::new(
                "reply_not_handling",
                "诉求签收后、办理期间才能答复",
                "a request is answered while it is being handled",
            )),
            K::ReturnVisit if status != TicketStatus::Replied => now_illegal(Msg::new(
                "visit_before_reply",
                "承办单位答复后才能回访",
                "the return visit follows the answer",
            )),
            K::Merge if status == TicketStatus::Closed => now_illegal(Msg::new(
                "merge_closed",
                "已办结的诉求不能并单",
                "a closed request is not merged",
            )),
            K::Supervise if matches!(status, TicketStatus::Closed | TicketStatus::Received) => {
                now_illegal(Msg::new(
                    "supervise_not_with_department",
                    "诉求派单到承办单位后才能督办",
                    "supervision applies to requests that are with a department",
                ))
            }
            K::Supervise if self.supervision == Some(SupervisionLevel::Listed) => now_illegal(Msg::new(
                "supervision_at_top",
                "该诉求已挂牌督办，已是最高督办级别",
                "this request is already under listed supervision (挂牌督办)",
            )),
            K::Report => {
                if !matches!(status, TicketStatus::Dispatched | TicketStatus::Handling) {
                    return now_illegal(Msg::new(
                        "report_not_with_departments",
                        "诉求在各单位办理期间才能报到",
                        "a department reports while the request is with departments",
                    ));
                }
                let Some(department) = &ctx.actor.department else {
                    return invalid(Msg::new(
                        "report_as_department",
                        "报到须以单位身份进行，请使用所在单位的账号",
                        "report as a department",
                    ));
                };
                if !self.summoned.contains(department) && !self.assisting.contains(department) {
                    return now_illegal(Msg::new(
                        "report_not_named",
                        "只有该诉求点名的单位才能报到",
                        "only a department named on the request reports to it",
                    ));
                }
                if self.reports.iter().any(|(d, _)| d == department) {
                    return now_illegal(Msg::new(
                        "reported_already",
                        "本单位已经报到，无需重复报到",
                        "your department has already reported",
                    ));
                }
                Ok(())
            }
            K::ResolveInGrid if self.holder.is_none() || status != TicketStatus::Received => {
                now_illegal(Msg::new(
                    "resolve_not_in_grid",
                    "只有由网格、社区或街道处置中的事项才能就地办结",
                    "only a matter held in a grid, community or street is resolved there",
                ))
            }
            K::Escalate if self.holder.is_none() || status != TicketStatus::Received => {
                now_illegal(Msg::new(
                    "escalate_not_in_grid",
                    "只有由网格、社区或街道处置中的事项才能上报",
                    "only a matter held in a grid, community or street is escalated",
                ))
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

    /// The acting department; `code`, `what_zh` and `what_en` say what needs one if there is none.
    fn acting_department(
        &self,
        code: &'static str,
        what_zh: &str,
        what_en: &str,
    ) -> Result<Code, TicketError> {
        self.ctx.actor.department.clone().ok_or_else(|| {
            TicketError::Invalid(Msg::new(
                code,
                format!("{what_zh}须以单位身份进行，请使用所在单位的账号"),
                format!("{what_en} as a department"),
            ))
        })
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
        let department = self.acting_department("sign_as_department", "签收", "sign")?;
        self.emit(TicketEvent::Signed { department });
        Ok(())
    }

    fn give_back(&mut self, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid(Msg::new(
                "ticket_return_needs_reason",
                "请写明该诉求不属于本单位职责的理由（退单理由），以便12345中心重新派单",
                "say why the request is not yours (退单理由), so the dispatcher can reassign it",
            ));
        }
        let department = self.acting_department("return_as_department", "退单", "return")?;
        self.emit(TicketEvent::Returned {
            department,
            reason: reason.trim().to_owned(),
        });
        Ok(())
    }

    fn give_feedback(&mut self, text: &str) -> Result<(), TicketError> {
        if text.trim().is_empty() {
            return invalid(Msg::new(
                "feedback_empty",
                "请填写给诉求人的反馈内容",
                "write the feedback to the requester",
            ));
        }
        self.emit(TicketEvent::FeedbackGiven {
            text: text.trim().to_owned(),
        });
        Ok(())
    }

    fn request_extension(&mut self, limit: Limit, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid(Msg::new(
                "ticket_extension_needs_reason",
                "请写明延期理由",
                "give the reason for more time",
            ));
        }
        let solve = self.ticket.sla.as_ref().map(|s| s.solve);
        if solve.is_none_or(|s| !limit.same_unit(s)) || limit.amount() == 0 {
            return invalid(Msg::new(
                "ticket_extension_unit",
                "请按办结时限的计时单位申请延期，至少延长一个单位",
                "ask for more time in the unit of the solve limit, at least one",
            ));
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
            return invalid(Msg::new(
                "reply_too_short",
                "请填写给诉求人的答复内容",
                "write the answer to the requester (答复内容)",
            ));
        }
        self.emit(TicketEvent::Replied {
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn return_visit(&mut self, solved: bool, satisfaction: u8, note: &str) -> Result<(), TicketError> {
        if !(1..=5).contains(&satisfaction) {
            return invalid(Msg::new(
                "satisfaction_out_of_range",
                "请选择满意度：1（非常不满意）至5（非常满意）",
                "satisfaction is 1 (非常不满意) to 5 (非常满意)",
            ));
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
            return invalid(Msg::new(
                "merge_into_itself",
                "诉求不能并单到自身，请填写另一件诉求的编号",
                "a request cannot be merged into itself",
            ));
        }
        if target.status == TicketStatus::Merged {
            return invalid(Msg::new(
                "merge_target_merged",
                format!("诉求 {into} 本身已并单到其他诉求，请并单到它所并入的那一件"),
                format!("{into} was itself merged; merge into the one it went to"),
            ));
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
        let department = self.acting_department("report_as_department", "报到", "report")?;
        self.emit(TicketEvent::Reported { department });
        Ok(())
    }

    fn resolve_in_grid(&mut self, answer: &str) -> Result<(), TicketError> {
        if answer.trim().chars().count() < 4 {
            return invalid(Msg::new(
                "resolution_too_short",
                "请写明处置情况",
                "say how the matter was resolved (处置情况)",
            ));
        }
        let Some(area) = self.ticket.holder.clone() else {
            return now_illegal(Msg::new(
                "resolve_not_in_grid",
                "只有由网格、社区或街道处置中的事项才能就地办结",
                "only a matter held in a grid, community or street is resolved there",
            ));
        };
        self.emit(TicketEvent::ResolvedInGrid {
            area,
            answer: answer.trim().to_owned(),
        });
        Ok(())
    }

    fn escalate(&mut self, reason: &str) -> Result<(), TicketError> {
        if reason.trim().is_empty() {
            return invalid(Msg::new(
                "escalate_needs_reason",
                "请写明需要上一级处置的理由（上报理由）",
                "say why the matter needs the level above (上报理由)",
            ));
        }
        let Some(from) = self.ticket.holder.clone() else {
            return now_illegal(Msg::new(
                "escalate_not_in_grid",
                "只有由网格、社区或街道处置中的事项才能上报",
                "only a matter held in a grid, community or street is escalated",
            ));
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
