//! The steward's ledger of a project (帮包台账): the team (lead leader, steward, department contacts), who is
//! responsible for each procedure and by when, the visits to the enterprise (入企问需) and the problems
//! raised there or by the enterprise, each tracked with an owner and a deadline; and the delay check
//! onego's timer runs: a procedure or problem near its date is reminded of, one past it is late and goes
//! up to the lead leader — each once.

use chrono::NaiveDate;
use onego_calendar::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::{Project, ProjectEntry, ProjectError, ProjectEvent};
use crate::messages::Msg;
use crate::org::{Actor, Role};
use crate::timer::Alarm;
use crate::values::{Code, Mobile};

/// Longest free text of the ledger (needs, follow-up, a problem), in characters.
pub const MAX_TEXT: usize = 500;

/// A person of the ledger: a leader, a steward, a department's contact, a procedure's responsible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    #[serde(default)]
    pub phone: Option<Mobile>,
    #[serde(default)]
    pub department: Option<Code>,
    /// What they do for the project (包保职责).
    #[serde(default)]
    pub duty: String,
}

/// 一个项目、一支团队: who carries the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Team {
    /// 包保领导: reminded when something is overdue.
    #[serde(default)]
    pub leader: Option<Member>,
    /// 项目管家.
    #[serde(default)]
    pub steward: Option<Member>,
    /// The departments' contacts.
    #[serde(default)]
    pub contacts: Vec<Member>,
}

/// A visit to the enterprise (入企问需).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub on: NaiveDate,
    pub people: String,
    pub needs: String,
    pub follow_up: String,
}

/// A problem raised at a visit or by the enterprise, tracked to its resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub id: u32,
    pub title: String,
    pub owner: Member,
    pub deadline: NaiveDate,
    pub raised_by: String,
    #[serde(default)]
    pub resolved: Option<String>,
    /// Sent on as an enterprise whistle (企业吹哨) to the named departments: the request's number.
    #[serde(default)]
    pub whistle: Option<ProblemWhistle>,
    #[serde(default)]
    pub reminded: bool,
    #[serde(default)]
    pub late: bool,
}

/// A problem sent on as an enterprise whistle: the departments summoned and the request it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemWhistle {
    pub departments: Vec<Code>,
    pub ticket: String,
}

/// At most this many departments are summoned by one whistle.
pub const MAX_SUMMONED: usize = 5;

fn text(field: &'static str, value: &str, zh: &str, en: &str) -> Result<String, ProjectError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(ProjectError::Invalid(
            Msg::new(
                "ledger_text",
                format!("请填写{zh}（不超过500字）"),
                format!("give the {en} (at most 500 characters)"),
            )
            .at(field),
        ));
    }
    Ok(t.to_owned())
}

fn member(m: &Member, field: &'static str) -> Result<Member, ProjectError> {
    let name = text(field, &m.name, "姓名", "name")?;
    Ok(Member {
        name,
        phone: m.phone.clone(),
        department: m.department.clone(),
        duty: m.duty.trim().to_owned(),
    })
}

impl Project {
    /// When onego next looks at the ledger's dates (a reminder the day before, then lateness the day
    /// after), with its alarm; `None` when nothing is waiting.
    pub fn next_delay_check(&self, calendar: &onego_calendar::WorkingCalendar) -> Option<(Alarm, Timestamp)> {
        let mut next: Option<(Alarm, Timestamp)> = None;
        let mut consider = |date: NaiveDate, reminded: bool, late: bool| {
            let candidate = if !reminded {
                // Nine in the morning of the day before.
                let before = date.pred_opt().unwrap_or(date);
                (
                    Alarm::Warning,
                    calendar.start_of_day(before).plus_millis(9 * 3_600_000),
                )
            } else if !late {
                let after = date.succ_opt().unwrap_or(date);
                (Alarm::Overdue, calendar.start_of_day(after))
            } else {
                return;
            };
            if next.is_none_or(|n| candidate.1 < n.1) {
                next = Some(candidate);
            }
        };
        for p in self
            .procedures
            .iter()
            .filter(|p| p.counts() && p.approved.is_none())
        {
            if let Some(d) = p.planned_end {
                consider(d, p.reminded, p.late);
            }
        }
        for q in self.problems.iter().filter(|q| q.resolved.is_none()) {
            consider(q.deadline, q.reminded, q.late);
        }
        for s in &self.stages {
            if let Some(d) = self.stage_due(s.stage, calendar) {
                consider(d, s.reminded, s.late);
            }
        }
        next
    }

    /// The last working day a started, open stage may take by its path's limit.
    pub fn stage_due(
        &self,
        stage: super::path::Stage,
        calendar: &onego_calendar::WorkingCalendar,
    ) -> Option<NaiveDate> {
        let s = self.stage(stage)?;
        if s.completed_at.is_some() {
            return None;
        }
        let start = calendar.local_date(s.started_at?);
        Some(calendar.add_working_days(start, s.limit_days?)?.value)
    }

    /// Decides a ledger command.
    pub(super) fn decide_ledger(
        &self,
        actor: &Actor,
        cmd: &super::model::ProjectCommand,
        today: NaiveDate,
        at: Timestamp,
        calendar: Option<&onego_calendar::WorkingCalendar>,
    ) -> Result<Vec<ProjectEntry>, ProjectError> {
        use super::model::ProjectCommand as C;
        let entry = |event| ProjectEntry {
            at,
            actor: actor.clone(),
            event,
        };
        let steward_only = || {
            ProjectError::Denied(Msg::new(
                "project_steward_only",
                "只有该项目的项目管家才能维护帮包台账",
                "only the project's stewards keep its ledger",
            ))
        };
        match cmd {
            C::SetTeam { team } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                let team = Team {
                    leader: team.leader.as_ref().map(|m| member(m, "leader")).transpose()?,
                    steward: team.steward.as_ref().map(|m| member(m, "steward")).transpose()?,
                    contacts: team
                        .contacts
                        .iter()
                        .map(|m| member(m, "contacts"))
                        .collect::<Result<_, _>>()?,
                };
                Ok(vec![entry(ProjectEvent::TeamSet { team })])
            }
            C::AssignProcedure {
                item,
                responsible,
                planned_end,
            } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                let responsible = member(responsible, "responsible")?;
                if !self.procedures.iter().any(|p| &p.item == item && p.counts()) {
                    return Err(ProjectError::Invalid(
                        Msg::new(
                            "procedure_not_in_plan",
                            format!("审批计划中没有事项 {item}"),
                            format!("item {item} is not in the plan"),
                        )
                        .at("item"),
                    ));
                }
                Ok(vec![entry(ProjectEvent::ProcedureAssigned {
                    item: item.clone(),
                    responsible,
                    planned_end: *planned_end,
                })])
            }
            C::RecordVisit {
                on,
                people,
                needs,
                follow_up,
            } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                if *on > today {
                    return Err(ProjectError::Invalid(
                        Msg::new(
                            "visit_in_future",
                            "走访日期不能晚于今天",
                            "a visit cannot be dated after today",
                        )
                        .at("on"),
                    ));
                }
                Ok(vec![entry(ProjectEvent::VisitRecorded {
                    visit: Visit {
                        on: *on,
                        people: text("people", people, "走访人员", "people")?,
                        needs: text("needs", needs, "企业诉求", "needs")?,
                        follow_up: follow_up.trim().to_owned(),
                    },
                })])
            }
            C::RaiseProblem {
                title,
                owner,
                deadline,
            } => {
                if !(self.is_steward(actor) || self.is_investor(actor)) {
                    return Err(ProjectError::Denied(Msg::new(
                        "problem_by_steward_or_enterprise",
                        "问题由项目管家或建设单位提出",
                        "problems are raised by the stewards or the enterprise",
                    )));
                }
                if *deadline < today {
                    return Err(ProjectError::Invalid(
                        Msg::new(
                            "deadline_past",
                            "办结期限不能早于今天",
                            "the deadline cannot be before today",
                        )
                        .at("deadline"),
                    ));
                }
                Ok(vec![entry(ProjectEvent::ProblemRaised {
                    problem: Problem {
                        id: self.problems.len() as u32 + 1,
                        title: text("title", title, "问题", "problem")?,
                        owner: member(owner, "owner")?,
                        deadline: *deadline,
                        raised_by: actor.name.clone(),
                        resolved: None,
                        whistle: None,
                        reminded: false,
                        late: false,
                    },
                })])
            }
            C::WhistleProblem {
                problem,
                departments,
                ticket,
            } => {
                if !(self.is_steward(actor) || self.is_investor(actor)) {
                    return Err(ProjectError::Denied(Msg::new(
                        "whistle_by_steward_or_enterprise",
                        "问题由项目管家或建设单位以“企业吹哨”转交部门",
                        "a problem is whistled to departments by the stewards or the enterprise",
                    )));
                }
                let Some(q) = self.problems.iter().find(|q| q.id == *problem) else {
                    return Err(ProjectError::Invalid(
                        Msg::new("no_such_problem", "没有这个问题", "there is no such problem").at("problem"),
                    ));
                };
                if q.resolved.is_some() || q.whistle.is_some() {
                    return Err(ProjectError::NotAllowedNow(Msg::new(
                        "problem_whistled",
                        "该问题已办结或已经吹哨，无需再次吹哨",
                        "the problem is resolved or already whistled",
                    )));
                }
                let mut named: Vec<Code> = Vec::new();
                for d in departments {
                    if !named.contains(d) {
                        named.push(d.clone());
                    }
                }
                if named.is_empty() || named.len() > MAX_SUMMONED {
                    return Err(ProjectError::Invalid(
                        Msg::new(
                            "whistle_departments",
                            "请选择要吹哨的部门（1至5个），被点名的部门须在规定时间内报到",
                            "choose the departments to summon (1 to 5); they must report within the limit",
                        )
                        .at("departments"),
                    ));
                }
                // The request's number is onego's to give (the engine reserves it before deciding).
                let Some(ticket) = ticket.clone() else {
                    return Err(ProjectError::Denied(
                        "the whistle's request number is given by onego itself".into(),
                    ));
                };
                Ok(vec![entry(ProjectEvent::ProblemWhistled {
                    problem: *problem,
                    whistle: ProblemWhistle {
                        departments: named,
                        ticket,
                    },
                })])
            }
            C::ResolveProblem { problem, note } => {
                if !self.is_steward(actor) {
                    return Err(steward_only());
                }
                let note = text("note", note, "办理结果", "result")?;
                match self.problems.iter().find(|q| q.id == *problem) {
                    Some(q) if q.resolved.is_none() => Ok(vec![entry(ProjectEvent::ProblemResolved {
                        problem: *problem,
                        note,
                    })]),
                    Some(_) => Err(ProjectError::NotAllowedNow(Msg::new(
                        "problem_resolved",
                        "该问题已办结",
                        "the problem is resolved already",
                    ))),
                    None => Err(ProjectError::Invalid(
                        Msg::new("no_such_problem", "没有这个问题", "there is no such problem").at("problem"),
                    )),
                }
            }
            C::CheckDelays { alarm } => {
                if actor.role != Role::System {
                    return Err(ProjectError::Denied("delays are checked by onego itself".into()));
                }
                let mut out = Vec::new();
                for s in &self.stages {
                    let Some(d) = calendar.and_then(|c| self.stage_due(s.stage, c)) else {
                        continue;
                    };
                    match alarm {
                        Alarm::Warning if !s.reminded && today >= d.pred_opt().unwrap_or(d) => {
                            out.push(entry(ProjectEvent::StageDueSoon { stage: s.stage }))
                        }
                        Alarm::Overdue if !s.late && today > d => {
                            out.push(entry(ProjectEvent::StageLate { stage: s.stage }))
                        }
                        _ => {}
                    }
                }
                for p in self
                    .procedures
                    .iter()
                    .filter(|p| p.counts() && p.approved.is_none())
                {
                    let Some(d) = p.planned_end else { continue };
                    match alarm {
                        Alarm::Warning if !p.reminded && today >= d.pred_opt().unwrap_or(d) => {
                            out.push(entry(ProjectEvent::ProcedureDueSoon { item: p.item.clone() }))
                        }
                        Alarm::Overdue if !p.late && today > d => {
                            out.push(entry(ProjectEvent::ProcedureLate { item: p.item.clone() }))
                        }
                        _ => {}
                    }
                }
                for q in self.problems.iter().filter(|q| q.resolved.is_none()) {
                    match alarm {
                        Alarm::Warning
                            if !q.reminded && today >= q.deadline.pred_opt().unwrap_or(q.deadline) =>
                        {
                            out.push(entry(ProjectEvent::ProblemDueSoon { problem: q.id }))
                        }
                        Alarm::Overdue if !q.late && today > q.deadline => {
                            out.push(entry(ProjectEvent::ProblemLate { problem: q.id }))
                        }
                        _ => {}
                    }
                }
                Ok(out)
            }
            _ => Ok(vec![]),
        }
    }

    pub(super) fn apply_ledger(&mut self, e: &ProjectEntry) {
        match &e.event {
            ProjectEvent::TeamSet { team } => self.team = team.clone(),
            ProjectEvent::ProcedureAssigned {
                item,
                responsible,
                planned_end,
            } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.responsible = Some(responsible.clone());
                    if p.planned_end != Some(*planned_end) {
                        p.planned_end = Some(*planned_end);
                        p.reminded = false;
                        p.late = false;
                    }
                }
            }
            ProjectEvent::VisitRecorded { visit } => self.visits.push(visit.clone()),
            ProjectEvent::ProblemRaised { problem } => self.problems.push(problem.clone()),
            ProjectEvent::ProblemWhistled { problem, whistle } => {
                if let Some(q) = self.problems.iter_mut().find(|q| q.id == *problem) {
                    q.whistle = Some(whistle.clone());
                }
            }
            ProjectEvent::ProblemResolved { problem, note } => {
                if let Some(q) = self.problems.iter_mut().find(|q| q.id == *problem) {
                    q.resolved = Some(note.clone());
                }
            }
            ProjectEvent::ProcedureDueSoon { item } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.reminded = true;
                }
            }
            ProjectEvent::ProcedureLate { item } => {
                if let Some(p) = self.procedures.iter_mut().find(|p| &p.item == item && p.counts()) {
                    p.reminded = true;
                    p.late = true;
                }
            }
            ProjectEvent::ProblemDueSoon { problem } => {
                if let Some(q) = self.problems.iter_mut().find(|q| q.id == *problem) {
                    q.reminded = true;
                }
            }
            ProjectEvent::ProblemLate { problem } => {
                if let Some(q) = self.problems.iter_mut().find(|q| q.id == *problem) {
                    q.reminded = true;
                    q.late = true;
                }
            }
            ProjectEvent::StageDueSoon { stage } => {
                if let Some(s) = self.stages.iter_mut().find(|s| s.stage == *stage) {
                    s.reminded = true;
                }
            }
            ProjectEvent::StageLate { stage } => {
                if let Some(s) = self.stages.iter_mut().find(|s| s.stage == *stage) {
                    s.reminded = true;
                    s.late = true;
                }
            }
            _ => {}
        }
    }
}
