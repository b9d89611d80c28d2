//! Firing due timers: each kind checks its own clock; a timer that changes nothing resets the
//! aggregate's timers only at the version it decided on.

use onego_calendar::Timestamp;
use onego_domain::aggregate::AggregateKind;
use onego_domain::case::Command;
use onego_domain::org::Actor;
use onego_domain::ticket::TicketCommand;

use super::{Engine, EngineError};
use crate::aggregate::{self, DueTimer, TimerRow};

impl Engine {
    /// Fires every timer due at `now`. Returns how many timers changed something.
    pub async fn fire_due_timers(&self, now: Timestamp) -> Result<usize, EngineError> {
        let owner = self.config.node.clone();
        let due = self
            .store
            .write(move |c| aggregate::claim_due_timers(c, &owner, now.as_millis(), 60_000, 200))
            .await?;
        let mut fired = 0;
        for t in due {
            match self.fire(&t, now).await {
                Ok(Fired::Marked) => fired += 1,
                Ok(Fired::Nothing { kind, version, rows }) => {
                    // Nothing to mark (the clock moved, or the work finished): set its timers right, but
                    // only if no one changed the aggregate since this decision (their commit set them).
                    let (owner, target, id, alarm) = (
                        self.config.node.clone(),
                        t.target.clone(),
                        t.aggregate_id,
                        t.alarm,
                    );
                    let replaced = self
                        .store
                        .write(move |c| {
                            aggregate::replace_timers_at(
                                c,
                                kind,
                                id,
                                version,
                                &rows,
                                (&owner, &target, alarm),
                            )
                        })
                        .await?;
                    if !replaced {
                        tracing::debug!(
                            id,
                            "a timer's aggregate changed meanwhile; its timers stay as committed"
                        );
                    }
                }
                Err(EngineError::NotFound(_)) => {
                    // A timer of an aggregate that does not exist (or a target no one knows).
                    tracing::warn!(id = t.aggregate_id, target = %t.target, "dropping a timer that belongs to nothing");
                    let (id, target, alarm) = (t.aggregate_id, t.target.clone(), t.alarm);
                    self.store
                        .write(move |c| aggregate::drop_timer(c, id, &target, alarm))
                        .await?;
                }
                Err(e) => {
                    tracing::warn!(id = t.aggregate_id, error = %e, "a timer could not fire; it will be retried")
                }
            }
        }
        Ok(fired)
    }

    /// Checks the clock a timer names, on the kind of work its target says.
    async fn fire(&self, t: &DueTimer, now: Timestamp) -> Result<Fired, EngineError> {
        let system = Actor::system();
        if t.target == crate::certificate::EXPIRY_TARGET || t.target == crate::certificate::REMIND_TARGET {
            let cmd = if t.target == crate::certificate::EXPIRY_TARGET {
                onego_domain::certificate::CertificateCommand::Expire
            } else {
                onego_domain::certificate::CertificateCommand::Remind
            };
            let out = self.run_certificate(&system, t.aggregate_id, &cmd, now).await?;
            return Ok(if out.entries.is_empty() {
                Fired::Nothing {
                    kind: AggregateKind::Certificate,
                    version: out.state.version,
                    rows: self.with_env(|env| crate::certificate::timer_rows(&out.state, env)),
                }
            } else {
                Fired::Marked
            });
        }
        if t.target == crate::agreement::EXPIRY_TARGET {
            let cmd = onego_domain::agency::AgreementCommand::CheckExpiry { alarm: t.alarm };
            let out = self.run_agreement(&system, t.aggregate_id, &cmd, now).await?;
            return Ok(if out.entries.is_empty() {
                Fired::Nothing {
                    kind: AggregateKind::Agreement,
                    version: out.state.version,
                    rows: self.with_env(|env| crate::agreement::timer_rows(&out.state, env)),
                }
            } else {
                Fired::Marked
            });
        }
        if t.target == crate::project::DELAYS_TARGET {
            let cmd = onego_domain::project::ProjectCommand::CheckDelays { alarm: t.alarm };
            let out = self.run_project(&system, t.aggregate_id, &cmd, now).await?;
            return Ok(if out.entries.is_empty() {
                Fired::Nothing {
                    kind: AggregateKind::Project,
                    version: out.state.version,
                    rows: self.with_env(|env| crate::project::timer_rows(&out.state, env)),
                }
            } else {
                Fired::Marked
            });
        }
        if let Some(clock) = crate::ticket::parse_timer_target(&t.target) {
            let cmd = TicketCommand::CheckClock {
                clock,
                alarm: t.alarm,
            };
            let out = self.run_ticket(&system, t.aggregate_id, &cmd, now).await?;
            return Ok(if out.entries.is_empty() {
                Fired::Nothing {
                    kind: AggregateKind::Ticket,
                    version: out.state.version,
                    rows: self.with_env(|env| crate::ticket::timer_rows(&out.state, env)),
                }
            } else {
                Fired::Marked
            });
        }
        let Some(target) = crate::case::parse_target(&t.target) else {
            return Err(EngineError::NotFound(format!("timer target {}", t.target).into()));
        };
        let out = self
            .run_case(
                &system,
                t.aggregate_id,
                &Command::CheckClock {
                    target,
                    alarm: t.alarm,
                },
                now,
            )
            .await?;
        Ok(if out.entries.is_empty() {
            Fired::Nothing {
                kind: AggregateKind::Case,
                version: out.state.version,
                rows: self.with_env(|env| crate::case::timer_rows(&out.state, env)),
            }
        } else {
            Fired::Marked
        })
    }

    /// When the next timer is due, so a worker can sleep until then.
    pub async fn next_timer_at(&self) -> Result<Option<Timestamp>, EngineError> {
        Ok(self
            .store
            .read(aggregate::next_timer_at)
            .await?
            .map(Timestamp::from_millis))
    }
}

/// What firing one timer did.
enum Fired {
    Marked,
    /// Nothing to mark; the timers the aggregate wants at the version decided on.
    Nothing {
        kind: AggregateKind,
        version: u64,
        rows: Vec<TimerRow>,
    },
}
