//! The case's clocks (promised and legal limits, each task's), the timers they need, and checking a
//! clock when its timer fires.

use super::decide::Run;
use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockTarget {
    Case,
    Task(TaskId),
    /// A decided result not yet collected: the applicant is reminded once (云提醒).
    Collection,
}

/// Working days a decided result may wait before its applicant is reminded to collect it.
pub const COLLECTION_REMINDER_DAYS: u32 = 3;

/// A durable timer the store should hold for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerSpec {
    pub target: ClockTarget,
    pub alarm: Alarm,
    pub fire_at: Timestamp,
}

impl Case {
    /// When a decided result that is still waiting to be collected is reminded of: nine in the
    /// morning, `COLLECTION_REMINDER_DAYS` working days after the decision.
    pub fn collection_reminder_at(&self, calendar: &WorkingCalendar) -> Option<Timestamp> {
        let decided = calendar.local_date(self.decided_at?);
        let day = calendar
            .add_working_days(decided, COLLECTION_REMINDER_DAYS)?
            .value;
        Some(calendar.start_of_day(day).plus_millis(9 * 3_600_000))
    }

    /// The promised-limit clock, from acceptance.
    pub fn clock(&self) -> Option<Clock> {
        Some(Clock {
            start: self.accepted_at?,
            limit: self.promised_limit,
            pauses: self.pauses.clone(),
            extensions: self.extensions.clone(),
        })
    }

    /// The legal-limit clock, from acceptance; extensions granted by law count here too.
    pub fn legal_clock(&self) -> Option<Clock> {
        let extensions = self
            .extensions
            .iter()
            .filter(|e| e.limit.same_unit(self.legal_limit))
            .cloned()
            .collect();
        Some(Clock {
            start: self.accepted_at?,
            limit: self.legal_limit,
            pauses: self.pauses.clone(),
            extensions,
        })
    }

    /// A task's own clock: its limit from when it opened, stopped by the case's pauses.
    pub fn task_clock(&self, task: &Task) -> Clock {
        let pauses = self
            .pauses
            .iter()
            .filter(|p| p.until.is_none_or(|u| u > task.opened_at))
            .cloned()
            .collect();
        Clock {
            start: task.opened_at,
            limit: task.limit,
            pauses,
            extensions: Vec::new(),
        }
    }

    /// The instant the case's clock stops: decision (or withdrawal), else none.
    pub fn stopped_at(&self) -> Option<Timestamp> {
        self.decided_at
    }

    /// The durable timers this case needs now: warning and overdue instants of every running clock that
    /// has not yet been marked. The store replaces a case's timers with these on every commit.
    pub fn timers(&self, calendar: &WorkingCalendar, policy: ClockPolicy) -> Vec<TimerSpec> {
        let mut out = Vec::new();
        if self.status == CaseStatus::Decided
            && !self.collection_reminded
            && let Some(at) = self.collection_reminder_at(calendar)
        {
            out.push(TimerSpec {
                target: ClockTarget::Collection,
                alarm: Alarm::Warning,
                fire_at: at,
            });
        }
        if self.status != CaseStatus::InReview {
            return out;
        }
        let mut add = |target, clock: &Clock, warned: bool, overdue: bool| {
            let Some(start) = Some(clock.start) else { return };
            if let Ok(r) = clock.read(calendar, policy, start) {
                if let (false, Some(w)) = (warned, r.warning_at) {
                    out.push(TimerSpec {
                        target,
                        alarm: Alarm::Warning,
                        fire_at: w,
                    });
                }
                if let (false, Some(d)) = (overdue, r.due) {
                    out.push(TimerSpec {
                        target,
                        alarm: Alarm::Overdue,
                        fire_at: d,
                    });
                }
            }
        };
        if let Some(clock) = self.clock()
            && !clock.is_paused()
        {
            add(ClockTarget::Case, &clock, self.warned, self.overdue);
        }
        for t in self.open_tasks() {
            let clock = self.task_clock(t);
            if !clock.is_paused() {
                add(ClockTarget::Task(t.id), &clock, t.warned, t.overdue);
            }
        }
        out
    }

    /// Reads the case clock at `now` (or at the decision, once decided).
    pub fn clock_state(
        &self,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
        now: Timestamp,
    ) -> Option<ClockState> {
        let at = self.stopped_at().unwrap_or(now);
        self.clock()
            .and_then(|c| c.read(calendar, policy, at).ok())
            .map(|r| r.state)
    }
}

impl<'a> Run<'_, 'a> {
    pub(super) fn check_clock(&mut self, target: ClockTarget, alarm: Alarm) {
        if target == ClockTarget::Collection {
            // Never early, never twice, and only while the result still waits.
            let due = self.case.collection_reminder_at(self.ctx.calendar);
            if self.case.status == CaseStatus::Decided
                && !self.case.collection_reminded
                && due.is_some_and(|d| self.ctx.now >= d)
            {
                self.emit(Event::CollectionReminded);
            }
            return;
        }
        if self.case.status != CaseStatus::InReview {
            return;
        }
        let (clock, warned, overdue) = match target {
            ClockTarget::Case => match self.case.clock() {
                Some(c) => (c, self.case.warned, self.case.overdue),
                None => return,
            },
            ClockTarget::Task(id) => match self.case.task(id) {
                Some(t) if t.is_open() => (self.case.task_clock(t), t.warned, t.overdue),
                _ => return,
            },
            ClockTarget::Collection => return,
        };
        let Ok(reading) = clock.read(self.ctx.calendar, self.ctx.policy, self.ctx.now) else {
            return;
        };
        // Never early, never twice.
        let fire = match alarm {
            Alarm::Warning => !warned && matches!(reading.state, ClockState::Warning | ClockState::Overdue),
            Alarm::Overdue => !overdue && reading.state == ClockState::Overdue,
        };
        if fire {
            self.emit(Event::Alarmed { target, alarm });
        }
    }
}
