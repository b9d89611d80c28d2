//! 拿地即开工: procedures the path marks for pre-review run as 预审 while the land is being sold —
//! applied for whatever their stage, an approval held as provisional — and when the land certificate
//! arrives they become formal in one step, so the permits issue the same day. The project counts the
//! days from land (拿地) to the construction permit (开工).

use onego_calendar::{Timestamp, WorkingCalendar};
use serde::{Deserialize, Serialize};

use super::model::{Project, ProjectEntry, ProjectError, ProjectEvent};
use super::path::Stage;
use crate::messages::Msg;
use crate::org::Actor;

/// The land, acquired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Land {
    pub at: Timestamp,
    /// The land certificate's identifier (不动产权证书).
    pub certificate: String,
}

impl Project {
    /// Days from the land certificate to the construction permit (the end of stage three), to now
    /// while it is pending; `None` before the land. Natural days: "拿地即开工" means 0.
    pub fn land_to_start_days(&self, calendar: &WorkingCalendar, now: Timestamp) -> Option<i64> {
        let land = calendar.local_date(self.land.as_ref()?.at);
        let permit = self
            .stage(Stage::ConstructionPermit)
            .and_then(|s| s.completed_at)
            .unwrap_or(now);
        Some((calendar.local_date(permit) - land).num_days())
    }

    /// The land certificate arrived (checked by the caller: the investor's, valid, genuine): every
    /// provisional approval becomes formal, and each stage whose procedures are now all decided completes.
    pub(super) fn decide_land(
        &self,
        actor: &Actor,
        certificate: &str,
        at: Timestamp,
    ) -> Result<Vec<ProjectEntry>, ProjectError> {
        if !(self.is_steward(actor) || self.is_investor(actor)) {
            return Err(ProjectError::Denied(Msg::new(
                "land_by_steward_or_enterprise",
                "拿地由项目管家或建设单位登记",
                "the land is recorded by the stewards or the enterprise",
            )));
        }
        if self.land.is_some() {
            return Err(ProjectError::NotAllowedNow(Msg::new(
                "land_acquired",
                "该项目已登记拿地",
                "the land of this project is recorded already",
            )));
        }
        let entry = |event| ProjectEntry {
            at,
            actor: actor.clone(),
            event,
        };
        let mut out = vec![entry(ProjectEvent::LandAcquired {
            certificate: certificate.to_owned(),
        })];
        let formal: Vec<&super::model::Procedure> = self
            .procedures
            .iter()
            .filter(|p| p.counts() && p.provisional)
            .collect();
        for p in &formal {
            out.push(entry(ProjectEvent::ProcedureFormalized { item: p.item.clone() }));
        }
        // A stage holding a formalised procedure starts with the land if it had not (拿地即开工), and
        // every started stage whose procedures are now all decided completes.
        for s in &self.stages {
            if s.completed_at.is_some() {
                continue;
            }
            let holds_formal = formal.iter().any(|p| p.stage == s.stage);
            if s.started_at.is_none() && !holds_formal {
                continue;
            }
            if s.started_at.is_none() {
                out.push(entry(ProjectEvent::StageStarted {
                    stage: s.stage,
                    shortfall: Some("拿地即开工：预审事项随拿地转为正式".to_owned()),
                }));
            }
            let mut procedures = self.procedures_of(s.stage).peekable();
            if procedures.peek().is_some() && procedures.all(|q| q.approved.is_some()) {
                out.push(entry(ProjectEvent::StageCompleted { stage: s.stage }));
            }
        }
        Ok(out)
    }

    pub(super) fn apply_land(&mut self, e: &ProjectEntry) {
        match &e.event {
            ProjectEvent::LandAcquired { certificate } => {
                self.land = Some(Land {
                    at: e.at,
                    certificate: certificate.clone(),
                });
            }
            ProjectEvent::ProcedureFormalized { item } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.provisional = false;
                }
            }
            _ => {}
        }
    }
}
