//! Accepting an application (受理): the materials received and deferred (容缺), a pending 补正 checked
//! against what arrived, and the process flows started.

use super::decide::Run;
use super::*;

impl Run<'_, '_> {
    pub(super) fn accept(
        &mut self,
        received: &[Code],
        deferred: &[Code],
        opinion: &str,
    ) -> Result<(), CaseError> {
        if let Some(req) = &self.case.supplement {
            let missing: Vec<&str> = req
                .missing
                .iter()
                .filter(|m| !received.contains(&m.code))
                .map(|m| m.name.as_str())
                .collect();
            if !missing.is_empty() {
                let missing = missing.join("、");
                return now_illegal(Msg::new(
                    "supplement_still_open",
                    format!("补正通知所列材料尚未补齐，仍缺：{missing}；请收齐后再受理"),
                    format!("the supplement notice is still open; missing: {missing}"),
                ));
            }
        }
        let specs = self.case.material_specs(self.ctx.registry)?;
        for code in received.iter().chain(deferred) {
            if !specs.iter().any(|s| &s.code == code) {
                return invalid(Msg::new(
                    "material_not_asked",
                    format!("材料 {code} 不是本申请需要的材料"),
                    format!("material {code} is not one this application asks for"),
                ));
            }
        }
        for code in deferred {
            let spec = specs.iter().find(|s| &s.code == code);
            if spec.is_some_and(|s| s.necessity != Necessity::Deferrable) {
                return invalid(Msg::new(
                    "material_not_deferrable",
                    format!("材料 {code} 不能容缺后补，只有标为“容缺后补”的材料可以后补，请现场收取"),
                    format!("material {code} cannot be supplied later; only 容缺后补 materials can"),
                ));
            }
            if received.contains(code) {
                return invalid(Msg::new(
                    "material_received_and_deferred",
                    format!("材料 {code} 不能既标为已收取又标为容缺后补，请只选其一"),
                    format!("material {code} is both received and deferred"),
                ));
            }
        }
        let missing: Vec<&str> = specs
            .iter()
            .filter(|s| s.necessity != Necessity::Optional)
            .filter(|s| {
                !self.case.has_material(&s.code) && !received.contains(&s.code) && !deferred.contains(&s.code)
            })
            .map(|s| s.name.as_str())
            .collect();
        if !missing.is_empty() {
            let (zh, en) = crate::messages::names(&missing);
            return now_illegal(Msg::new(
                "materials_missing_at_acceptance",
                format!("必要材料尚缺：{zh}。请先收取这些材料，或发出补正通知一次性告知申请人"),
                format!(
                    "required materials are missing: {en}; request a supplement (补正) listing them, or receive them first"
                ),
            ));
        }
        let received: Vec<ProvidedMaterial> = received
            .iter()
            .map(|c| ProvidedMaterial {
                code: c.clone(),
                at: self.ctx.now,
                file: None,
                certificate: None,
            })
            .collect();
        self.emit(Event::Accepted {
            received,
            deferred: deferred.to_vec(),
            opinion: opinion.trim().to_owned(),
        });
        if self.case.handling == Handling::Instant {
            // 即办件: decided at the counter.
            for flow in 0..self.case.flows.len() {
                self.emit(Event::FlowEnded {
                    flow,
                    outcome: Outcome::Approved,
                });
            }
            self.emit(Event::Decided {
                outcome: CaseOutcome::Approved,
                reason: "即办件，当场办结".into(),
            });
            return Ok(());
        }
        for flow in 0..self.case.flows.len() {
            let def = self.definition(flow)?;
            let start = def.start.clone();
            self.enter(flow, &start, 0)?;
        }
        Ok(())
    }
}
