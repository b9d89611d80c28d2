//! Applying: the one place a case changes, one journal entry at a time.

use super::*;

impl Case {
    /// Folds one entry into the state.
    pub fn apply(&mut self, entry: &Entry) {
        let at = entry.at;
        match &entry.event {
            // The first entry builds the case (see `from_submitted`); it never recurs.
            Event::Submitted { .. } => {}
            Event::Accepted {
                received, deferred, ..
            } => {
                self.add_materials(received);
                self.deferred = deferred.clone();
                self.accepted_at = Some(at);
                self.status = CaseStatus::InReview;
                self.supplement = None;
            }
            Event::NotAccepted { reason } => {
                self.status = CaseStatus::NotAccepted;
                self.decision_reason = Some(reason.clone());
                self.decided_at = Some(at);
            }
            Event::SupplementRequested { request } => {
                if !request.before_acceptance {
                    self.pauses.push(Pause {
                        from: at,
                        until: None,
                        reason: "补正".into(),
                    });
                }
                self.supplement = Some(request.clone());
            }
            Event::MaterialsSupplied {
                materials,
                completes_supplement,
            } => {
                self.add_materials(materials);
                self.deferred.retain(|d| !materials.iter().any(|m| &m.code == d));
                if *completes_supplement
                    && let Some(req) = self.supplement.take()
                    && !req.before_acceptance
                {
                    self.close_pause("补正", at);
                }
            }
            Event::TaskOpened { task } => self.tasks.push(task.clone()),
            Event::TaskCompleted { task, action, .. } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == *task) {
                    t.state = TaskState::Done {
                        action: *action,
                        by: entry.actor.name.clone(),
                        at,
                    };
                }
            }
            Event::TaskCancelled { task } => {
                if let Some(t) = self.tasks.iter_mut().find(|t| t.id == *task) {
                    t.state = TaskState::Cancelled { at };
                }
            }
            Event::AutoDecided { .. } | Event::ChoiceTaken { .. } => {}
            Event::BranchArrived { flow, join } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    *f.join_arrivals.entry(join.clone()).or_default() += 1;
                }
            }
            Event::BranchesJoined { flow, join } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    f.join_arrivals.remove(join);
                }
            }
            Event::FlowEnded { flow, outcome } => {
                if let Some(f) = self.flows.get_mut(*flow) {
                    f.outcome = Some(*outcome);
                }
            }
            Event::Decided { outcome, reason } => {
                self.status = CaseStatus::Decided;
                self.outcome = Some(*outcome);
                self.decision_reason = Some(reason.clone());
                self.decided_at = Some(at);
                // A decision ends every pause: nothing is left to wait for.
                for p in self.pauses.iter_mut().filter(|p| p.until.is_none()) {
                    p.until = Some(at);
                }
                self.special = None;
                self.supplement = None;
            }
            Event::SpecialProcedureStarted { kind, reason } => {
                self.pauses.push(Pause {
                    from: at,
                    until: None,
                    reason: format!("特别程序：{}", kind.zh()),
                });
                self.special = Some(SpecialProcedure {
                    kind: *kind,
                    reason: reason.clone(),
                    since: at,
                });
            }
            Event::SpecialProcedureEnded { .. } => {
                if let Some(sp) = self.special.take() {
                    self.close_pause(&format!("特别程序：{}", sp.kind.zh()), at);
                }
            }
            Event::ExtensionGranted { extension } => {
                self.extensions.push(extension.clone());
                self.extension_request = None;
            }
            Event::ExtensionRequested { request } => self.extension_request = Some(request.clone()),
            Event::ExtensionDenied { .. } => self.extension_request = None,
            Event::Delivered { delivery } => {
                self.status = CaseStatus::Delivered;
                self.delivery = Some(delivery.clone());
                self.delivered_at = Some(at);
            }
            Event::Withdrawn { .. } => {
                self.status = CaseStatus::Withdrawn;
                self.decided_at = Some(at);
                for p in self.pauses.iter_mut().filter(|p| p.until.is_none()) {
                    p.until = Some(at);
                }
            }
            Event::Rated { level, comment } => {
                self.rating = Some(Rating {
                    level: *level,
                    comment: comment.clone(),
                    at,
                });
            }
            Event::CollectionReminded => self.collection_reminded = true,
            // A lookup changes nothing in the case; it is its journal's record.
            Event::ArchiveConsulted { .. } => {}
            Event::MeetingConvened { meeting } => self.meetings.push(meeting.clone()),
            Event::MeetingHeld {
                meeting,
                minutes,
                opinions,
            } => {
                if let Some(m) = self.meetings.iter_mut().find(|m| m.id == *meeting) {
                    m.minutes = Some(minutes.clone());
                    m.held_at = Some(at);
                    m.opinions = opinions.clone();
                }
            }
            Event::InspectionRecorded { inspection } => self.inspections.push(inspection.clone()),
            Event::Alarmed { target, alarm } => {
                let (warned, overdue) = match target {
                    ClockTarget::Case => (&mut self.warned, &mut self.overdue),
                    ClockTarget::Collection => return,
                    ClockTarget::Task(id) => match self.tasks.iter_mut().find(|t| t.id == *id) {
                        Some(t) => (&mut t.warned, &mut t.overdue),
                        None => return,
                    },
                };
                match alarm {
                    Alarm::Warning => *warned = true,
                    Alarm::Overdue => {
                        *warned = true;
                        *overdue = true;
                    }
                }
            }
        }
    }

    pub(super) fn add_materials(&mut self, materials: &[ProvidedMaterial]) {
        for m in materials {
            if let Some(existing) = self.materials.iter_mut().find(|x| x.code == m.code) {
                // Received at acceptance without a file of its own: the file or certificate it came
                // with stays with it.
                if m.file.is_none() && m.certificate.is_none() {
                    continue;
                }
                *existing = m.clone();
            } else {
                self.materials.push(m.clone());
            }
        }
    }

    pub(super) fn close_pause(&mut self, reason: &str, at: Timestamp) {
        if let Some(p) = self
            .pauses
            .iter_mut()
            .rev()
            .find(|p| p.until.is_none() && p.reason == reason)
        {
            p.until = Some(at);
        }
    }
}
