//! Folding a project's entries into its state: the one place a project changes (the ledger's own events
//! are folded in `ledger.rs`).

use super::model::{Project, ProjectEntry, ProjectEvent};

impl Project {
    /// Folds one entry into the state.
    pub fn apply(&mut self, e: &ProjectEntry) {
        match &e.event {
            ProjectEvent::Created { .. } => {}
            ProjectEvent::ProcedureAdded { procedure } => self.procedures.push(procedure.clone()),
            ProjectEvent::ProcedureDropped { item, reason } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.dropped = Some(reason.clone());
                }
            }
            ProjectEvent::StageStarted { stage, shortfall } => {
                if let Some(s) = self.stages.iter_mut().find(|s| s.stage == *stage) {
                    s.started_at = Some(e.at);
                    s.shortfall = shortfall.clone();
                }
            }
            ProjectEvent::CaseLinked { item, case_id } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.case_id = Some(*case_id);
                }
            }
            ProjectEvent::ProcedureDecided {
                case_id,
                approved,
                provisional,
                ..
            } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| p.case_id == Some(*case_id)) {
                    p.approved = Some(*approved);
                    p.decided_at = Some(e.at);
                    p.provisional = *provisional;
                }
            }
            ProjectEvent::StageCompleted { stage } => {
                if let Some(s) = self.stages.iter_mut().find(|s| s.stage == *stage) {
                    s.completed_at = Some(e.at);
                }
            }
            ProjectEvent::LandAcquired { .. } | ProjectEvent::ProcedureFormalized { .. } => {
                self.apply_land(e)
            }
            _ => self.apply_ledger(e),
        }
    }
}
