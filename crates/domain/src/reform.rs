//! 改革成效台账 (the reduction ledger): for an item, its figures before the reform — entered from the
//! guide of the time, with the source named (`Baseline`) — against today's, computed from the catalog
//! and process in force: human steps (task and countersign nodes), materials (and how many certificates
//! or shared data now satisfy), promised and legal limits in working days, visits on site, and the
//! working days cases really took. Reductions per item, per department and for the city are the same
//! sums, so the page, the API and the export agree.

use chrono::NaiveDate;
use onego_calendar::Limit;
use serde::{Deserialize, Serialize};

use crate::case::Registry;
use crate::catalog::{Catalog, ServiceItem};
use crate::messages::Msg;
use crate::values::Code;

/// An item's figures before the reform, as the guide of the time gave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub item: Code,
    /// Human steps (环节).
    pub steps: u32,
    pub materials: u32,
    pub promised_days: f64,
    pub legal_days: f64,
    /// Times the applicant had to come (跑动次数).
    pub visits: u32,
    /// Working days cases took on average then, when known.
    #[serde(default)]
    pub used_days: Option<f64>,
    /// Where the figures come from (e.g. 2018年版办事指南).
    pub basis: String,
}

impl Baseline {
    /// What must hold of entered figures: a source, limits that are days, steps and materials that exist.
    pub fn validate(&self) -> Result<(), Msg> {
        let days_ok = |d: f64| d.is_finite() && (0.0..=3650.0).contains(&d);
        if self.basis.trim().is_empty() {
            return Err(Msg::new(
                "baseline_basis",
                format!("事项 {} 的改革前数据须注明来源（如某年版办事指南）", self.item),
                format!(
                    "the figures before the reform of {} must name their source",
                    self.item
                ),
            ));
        }
        if !days_ok(self.promised_days) || !days_ok(self.legal_days) || !self.used_days.is_none_or(days_ok) {
            return Err(Msg::new(
                "baseline_days",
                format!("事项 {} 的改革前时限须是0至3650之间的天数", self.item),
                format!(
                    "the limits before the reform of {} must be days between 0 and 3650",
                    self.item
                ),
            ));
        }
        if self.steps == 0 {
            return Err(Msg::new(
                "baseline_steps",
                format!("事项 {} 的改革前环节数至少为1", self.item),
                format!("{} had at least one step before the reform", self.item),
            ));
        }
        Ok(())
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Figures {
    pub steps: u32,
    pub materials: u32,
    /// Materials certificates or shared data satisfy now (免提交); none before the reform.
    pub shared_materials: u32,
    pub promised_days: f64,
    pub legal_days: f64,
    pub visits: u32,
    pub used_days: Option<f64>,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.steps += o.steps;
        self.materials += o.materials;
        self.shared_materials += o.shared_materials;
        self.promised_days += o.promised_days;
        self.legal_days += o.legal_days;
        self.visits += o.visits;
    }
}

/// Reduction in percent from `before` to `now`, one decimal; none when there was nothing before.
pub fn percent(before: f64, now: f64) -> Option<f64> {
    (before > 0.0).then(|| ((before - now) / before * 1000.0).round() / 10.0)
}

/// Percentages of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentages {
    pub steps: Option<f64>,
    pub materials: Option<f64>,
    pub promised_days: Option<f64>,
    pub legal_days: Option<f64>,
    pub visits: Option<f64>,
    pub used_days: Option<f64>,
}

impl Percentages {
    pub fn of(before: &Figures, now: &Figures) -> Percentages {
        Percentages {
            steps: percent(f64::from(before.steps), f64::from(now.steps)),
            materials: percent(f64::from(before.materials), f64::from(now.materials)),
            promised_days: percent(before.promised_days, now.promised_days),
            legal_days: percent(before.legal_days, now.legal_days),
            visits: percent(f64::from(before.visits), f64::from(now.visits)),
            used_days: before
                .used_days
                .zip(now.used_days)
                .and_then(|(b, n)| percent(b, n)),
        }
    }
}

/// One item of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemReduction {
    pub code: Code,
    pub name: String,
    pub department: Code,
    pub basis: String,
    pub before: Figures,
    pub now: Figures,
    pub reduction: Percentages,
}

/// A sum over items (a department, the city).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Total {
    /// The department, or none for the city.
    pub department: Option<Code>,
    pub items: usize,
    pub before: Figures,
    pub now: Figures,
    pub reduction: Percentages,
}

/// A limit in working days (working hours counted in office days of `hours_per_day`).
pub fn limit_days(limit: Limit, hours_per_day: f64) -> f64 {
    match limit {
        Limit::WorkingDays(n) | Limit::NaturalDays(n) => f64::from(n),
        Limit::NaturalHours(n) => f64::from(n) / 24.0,
        Limit::WorkingHours(n) => f64::from(n) / hours_per_day.max(1.0),
    }
}

/// Today's figures of an item: the process's human steps, its materials and those a certificate type
/// satisfies, its limits and visits; `used_days` is what its decided cases took on average.
pub fn figures_now(
    catalog: &Catalog,
    item: &ServiceItem,
    hours_per_day: f64,
    used_days: Option<f64>,
) -> Figures {
    let steps = catalog
        .latest_process(&item.process)
        .map_or(0, |p| p.human_nodes().count() as u32);
    Figures {
        steps,
        materials: item.materials.len() as u32,
        shared_materials: item.materials.iter().filter(|m| m.certificate.is_some()).count() as u32,
        promised_days: limit_days(item.promised_limit, hours_per_day),
        legal_days: limit_days(item.legal_limit, hours_per_day),
        visits: u32::from(item.visits_required),
        used_days,
    }
}

/// The ledger on `today`: every item in force with a baseline, compared; `used_days(code)` gives the
/// measured average working days of an item's decided cases.
pub fn ledger(
    catalog: &Catalog,
    today: NaiveDate,
    hours_per_day: f64,
    used_days: impl Fn(&Code) -> Option<f64>,
) -> Vec<ItemReduction> {
    let mut out: Vec<ItemReduction> = catalog
        .items_on(today)
        .into_iter()
        .filter_map(|item| {
            let b = catalog.baselines.iter().find(|b| b.item == item.impl_code)?;
            let before = Figures {
                steps: b.steps,
                materials: b.materials,
                shared_materials: 0,
                promised_days: b.promised_days,
                legal_days: b.legal_days,
                visits: b.visits,
                used_days: b.used_days,
            };
            let now = figures_now(catalog, item, hours_per_day, used_days(&item.impl_code));
            Some(ItemReduction {
                code: item.impl_code.clone(),
                name: item.name.clone(),
                department: item.department.clone(),
                basis: b.basis.clone(),
                reduction: Percentages::of(&before, &now),
                before,
                now,
            })
        })
        .collect();
    out.sort_by(|a, b| a.department.cmp(&b.department).then(a.code.cmp(&b.code)));
    out
}

/// The sums per department (in code order) and, last, for the city. Days used are averaged over the
/// items that have them on both sides.
pub fn totals(rows: &[ItemReduction]) -> Vec<Total> {
    let mut departments: Vec<Code> = rows.iter().map(|r| r.department.clone()).collect();
    departments.dedup();
    let sum = |department: Option<&Code>| {
        let chosen: Vec<&ItemReduction> = rows
            .iter()
            .filter(|r| department.is_none_or(|d| &r.department == d))
            .collect();
        let mut before = Figures::default();
        let mut now = Figures::default();
        for r in &chosen {
            before.add(&r.before);
            now.add(&r.now);
        }
        let paired: Vec<(f64, f64)> = chosen
            .iter()
            .filter_map(|r| r.before.used_days.zip(r.now.used_days))
            .collect();
        if !paired.is_empty() {
            let n = paired.len() as f64;
            before.used_days = Some((paired.iter().map(|p| p.0).sum::<f64>() / n * 100.0).round() / 100.0);
            now.used_days = Some((paired.iter().map(|p| p.1).sum::<f64>() / n * 100.0).round() / 100.0);
        }
        Total {
            department: department.cloned(),
            items: chosen.len(),
            reduction: Percentages::of(&before, &now),
            before,
            now,
        }
    };
    let mut out: Vec<Total> = departments.iter().map(|d| sum(Some(d))).collect();
    out.push(sum(None));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reduction_is_the_share_saved_and_nothing_when_there_was_nothing() {
        assert_eq!(percent(20.0, 8.0), Some(60.0));
        assert_eq!(percent(3.0, 1.0), Some(66.7));
        assert_eq!(percent(0.0, 1.0), None);
        // More than before reads as a negative reduction, not hidden.
        assert_eq!(percent(2.0, 3.0), Some(-50.0));
    }

    #[test]
    fn totals_add_the_items_of_a_department_and_of_the_city() {
        let code = |s: &str| Code::parse(s).expect("code");
        let row = |item: &str, dept: &str, before: (u32, f64), now: (u32, f64)| {
            let b = Figures {
                steps: before.0,
                materials: 10,
                promised_days: before.1,
                legal_days: 20.0,
                visits: 2,
                used_days: Some(before.1),
                ..Figures::default()
            };
            let n = Figures {
                steps: now.0,
                materials: 4,
                shared_materials: 2,
                promised_days: now.1,
                legal_days: 20.0,
                visits: 0,
                used_days: Some(now.1 / 2.0),
            };
            ItemReduction {
                code: code(item),
                name: item.into(),
                department: code(dept),
                basis: "2018年版办事指南".into(),
                reduction: Percentages::of(&b, &n),
                before: b,
                now: n,
            }
        };
        let rows = vec![
            row("A-1", "fire", (5, 20.0), (2, 5.0)),
            row("B-1", "market", (4, 10.0), (2, 5.0)),
        ];
        let t = totals(&rows);
        assert_eq!(t.len(), 3);
        let city = &t[2];
        assert_eq!((city.items, city.before.steps, city.now.steps), (2, 9, 4));
        assert_eq!(city.reduction.steps, Some(55.6));
        assert_eq!(city.reduction.promised_days, Some(66.7));
        assert_eq!(city.reduction.materials, Some(60.0));
        assert_eq!(city.reduction.visits, Some(100.0));
        assert_eq!(city.now.shared_materials, 4);
        // Days used: averaged over the items, before 15 and now 2.5.
        assert_eq!(
            (city.before.used_days, city.now.used_days),
            (Some(15.0), Some(2.5))
        );
        assert_eq!(t[0].department.as_ref().map(Code::as_str), Some("fire"));
        assert_eq!(t[0].reduction.promised_days, Some(75.0));
    }

    #[test]
    fn entered_figures_name_their_source_and_are_days() {
        let b = Baseline {
            item: Code::parse("SCJG-001").expect("code"),
            steps: 4,
            materials: 9,
            promised_days: 5.0,
            legal_days: 15.0,
            visits: 2,
            used_days: None,
            basis: " ".into(),
        };
        assert!(b.validate().is_err());
        let b = Baseline {
            basis: "2018年版办事指南".into(),
            legal_days: f64::NAN,
            ..b
        };
        assert!(b.validate().is_err());
        let b = Baseline {
            legal_days: 15.0,
            ..b
        };
        assert!(b.validate().is_ok());
    }
}
