//! Applying: the one place a request changes, one journal entry at a time.

use super::*;

impl Ticket {
    pub fn apply(&mut self, entry: &TicketEntry) {
        let at = entry.at;
        match &entry.event {
            TicketEvent::Received { .. } => {}
            TicketEvent::Dispatched {
                lead, assisting, sla, ..
            } => {
                self.status = TicketStatus::Dispatched;
                self.lead = Some(lead.clone());
                self.assisting = assisting.clone();
                self.sla = Some(sla.clone());
                self.dispatched_at = Some(at);
                self.signed_at = None;
                self.holder = None;
            }
            TicketEvent::Signed { department } => {
                self.status = TicketStatus::Handling;
                self.signed_at = Some(at);
                if self.summoned.contains(department) && !self.reports.iter().any(|(d, _)| d == department) {
                    self.reports.push((department.clone(), at));
                }
            }
            TicketEvent::Reported { department } => {
                if !self.reports.iter().any(|(d, _)| d == department) {
                    self.reports.push((department.clone(), at));
                }
            }
            TicketEvent::ResolvedInGrid { answer, .. } => {
                self.status = TicketStatus::Replied;
                self.replied_at = Some(at);
                self.answer = Some(answer.clone());
            }
            TicketEvent::Escalated { to, .. } => self.holder = to.clone(),
            TicketEvent::Returned { .. } => {
                self.status = TicketStatus::Received;
                self.lead = None;
                self.assisting.clear();
                self.dispatched_at = None;
                self.returns += 1;
                self.alarms.clear();
            }
            TicketEvent::FeedbackGiven { .. } => {
                self.first_feedback_at.get_or_insert(at);
            }
            TicketEvent::ExtensionRequested { limit, reason } => {
                self.pending_extension = Some((*limit, reason.clone()))
            }
            TicketEvent::ExtensionDecided { granted, reason } => {
                if let Some((limit, asked)) = self.pending_extension.take()
                    && *granted
                {
                    self.extensions.push(onego_calendar::Extension {
                        limit,
                        reason: if reason.is_empty() { asked } else { reason.clone() },
                        approver: entry.actor.name.clone(),
                    });
                    // A new deadline: its warning and overdue marks start afresh.
                    self.alarms.retain(|(c, _)| *c != TicketClock::Solve);
                }
            }
            TicketEvent::Replied { answer } => {
                self.status = TicketStatus::Replied;
                self.replied_at = Some(at);
                self.answer = Some(answer.clone());
            }
            TicketEvent::ReturnVisited {
                solved, satisfaction, ..
            } => {
                self.solved = Some(*solved);
                self.satisfaction = Some(*satisfaction);
            }
            TicketEvent::Closed => {
                self.status = TicketStatus::Closed;
                self.closed_at = Some(at);
            }
            TicketEvent::Reopened { .. } => {
                // Back to the department that handled it; a matter solved in the grid goes to the centre.
                self.status = if self.lead.is_some() {
                    TicketStatus::Handling
                } else {
                    TicketStatus::Received
                };
                self.reopens += 1;
                self.replied_at = None;
                self.answer = None;
                self.alarms.retain(|(c, _)| *c != TicketClock::Solve);
            }
            TicketEvent::Merged { into } => {
                self.status = TicketStatus::Merged;
                self.merged_into = Some(*into);
                self.closed_at = Some(at);
            }
            TicketEvent::Supervised { level, .. } => self.supervision = Some(*level),
            TicketEvent::Alarmed { clock, alarm } => {
                if !self.alarms.contains(&(*clock, *alarm)) {
                    self.alarms.push((*clock, *alarm));
                }
                if *alarm == Alarm::Overdue && !self.alarms.contains(&(*clock, Alarm::Warning)) {
                    self.alarms.push((*clock, Alarm::Warning));
                }
            }
        }
    }
}
