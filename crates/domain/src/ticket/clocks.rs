//! A request's three clocks (response, feedback, solve), how each is read, and the timers they need.

use super::*;

impl Ticket {
    /// The clock of one of the SLA's limits, when it is running or has run.
    pub fn clock(&self, which: TicketClock) -> Option<Clock> {
        let sla = self.sla.as_ref()?;
        let dispatched = self.dispatched_at?;
        Some(match which {
            TicketClock::Response => Clock::new(dispatched, sla.response),
            TicketClock::Feedback => Clock::new(self.signed_at?, sla.feedback),
            TicketClock::Solve => Clock {
                start: dispatched,
                limit: sla.solve,
                pauses: Vec::new(),
                extensions: self.extensions.clone(),
            },
        })
    }

    /// When a clock stopped counting (its goal met), if it has.
    pub(super) fn clock_met(&self, which: TicketClock) -> Option<Timestamp> {
        match which {
            // A whistle is answered when every department named has reported.
            TicketClock::Response if !self.summoned.is_empty() => {
                let all = self
                    .summoned
                    .iter()
                    .all(|d| self.reports.iter().any(|(r, _)| r == d));
                if all {
                    self.reports.iter().map(|(_, at)| *at).max()
                } else {
                    None
                }
            }
            TicketClock::Response => self.signed_at,
            TicketClock::Feedback => self.first_feedback_at.or(self.replied_at),
            TicketClock::Solve => self.replied_at,
        }
    }

    /// Reads a clock at `now`, or at the instant its goal was met.
    pub fn read(
        &self,
        which: TicketClock,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
        now: Timestamp,
    ) -> Option<onego_calendar::ClockReading> {
        let at = self.clock_met(which).unwrap_or(now);
        self.clock(which)?.read(calendar, policy, at).ok()
    }

    /// Timers the store should hold: warning and overdue of every running clock not yet marked.
    pub fn timers(
        &self,
        calendar: &WorkingCalendar,
        policy: ClockPolicy,
    ) -> Vec<(TicketClock, Alarm, Timestamp)> {
        let mut out = Vec::new();
        if matches!(self.status, TicketStatus::Closed | TicketStatus::Merged) {
            return out;
        }
        for which in [TicketClock::Response, TicketClock::Feedback, TicketClock::Solve] {
            if self.clock_met(which).is_some() {
                continue;
            }
            let Some(clock) = self.clock(which) else { continue };
            let Ok(r) = clock.read(calendar, policy, clock.start) else {
                continue;
            };
            for (alarm, at) in [(Alarm::Warning, r.warning_at), (Alarm::Overdue, r.due)] {
                if let Some(at) = at
                    && !self.alarms.contains(&(which, alarm))
                {
                    out.push((which, alarm, at));
                }
            }
        }
        out
    }
}
