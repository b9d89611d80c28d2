//! The delivery worker: claims due messages (a lease, `SKIP LOCKED` on PostgreSQL, so several onego
//! processes share the work), renders each with its template, sends it, and records the attempt.
//! Failures are tried again with exponential backoff (30 s, 1 min, 2 min, … at most an hour) until the
//! configured number of attempts, then the message is marked failed for an administrator to resend.
//! SMS keep quiet hours: none between 22:00 and 08:00 China time unless urgent; they wait until 08:00.

use chrono::{Duration, FixedOffset, TimeZone, Timelike};
use onego_store::Store;
use onego_store::outbox::{Channel, Message, Outcome};

use crate::templates::{in_force, render};
use crate::{Email, SendError, Sms};

/// What the worker delivers through, and how persistently.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub email: Option<Email>,
    pub sms: Option<Sms>,
    /// Attempts before a message is marked failed.
    pub max_attempts: i64,
    /// This process's name in claims.
    pub owner: String,
    /// Whether SMS wait out the night (22:00–08:00).
    pub quiet_hours: bool,
    /// The wait before the first retry (30 s by default); doubled each time, at most an hour.
    pub retry_after_ms: i64,
}

impl Delivery {
    pub fn channels(&self) -> Vec<Channel> {
        let mut c = Vec::new();
        if self.email.is_some() {
            c.push(Channel::Email);
        }
        if self.sms.is_some() {
            c.push(Channel::Sms);
        }
        c
    }
}

/// China Standard Time, in which quiet hours are kept.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// When an SMS queued at `now` may go: now, or 08:00 of the morning when `now` is in quiet hours.
pub fn sms_allowed_at(now_ms: i64) -> i64 {
    let local = cst()
        .timestamp_millis_opt(now_ms)
        .single()
        .expect("valid instant");
    let h = local.hour();
    if (8..22).contains(&h) {
        return now_ms;
    }
    let day = if h >= 22 {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    };
    let eight = day.and_hms_opt(8, 0, 0).expect("08:00");
    cst()
        .from_local_datetime(&eight)
        .single()
        .expect("no DST in China")
        .timestamp_millis()
}

/// Backoff after the `attempts`-th failure: `first_ms` doubling, at most an hour.
pub fn backoff_ms(first_ms: i64, attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 12) as u32 - 1;
    (first_ms << exp).min(3_600_000)
}

/// Delivers what is due now; answers how many messages were handled (sent, failed or deferred).
pub async fn deliver_due(store: &Store, d: &Delivery, now_ms: i64) -> Result<usize, onego_store::StoreError> {
    let channels = d.channels();
    if channels.is_empty() {
        return Ok(0);
    }
    let due = store
        .outbox()
        .claim(&d.owner, channels, now_ms, 60_000, 50)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let saved = store.outbox().templates().await?;
    let n = due.len();
    for m in due {
        let outcome = attempt(d, &saved, &m, now_ms).await;
        match &outcome {
            Outcome::Sent { remote_id } => {
                tracing::info!(id = m.id, channel = m.channel.as_str(), kind = %m.kind, remote_id = ?remote_id, "message sent")
            }
            Outcome::Error { detail, retry_at } => {
                tracing::warn!(id = m.id, channel = m.channel.as_str(), kind = %m.kind, %detail, retry = retry_at.is_some(), "message not sent")
            }
            Outcome::Deferred { .. } => {}
        }
        store
            .outbox()
            .record(m.id, &d.owner, onego_store::now_millis(), outcome)
            .await?;
    }
    Ok(n)
}

async fn attempt(
    d: &Delivery,
    saved: &[onego_store::outbox::TemplateRow],
    m: &Message,
    now_ms: i64,
) -> Outcome {
    let fail = |e: SendError| {
        let attempts = m.attempts + 1;
        match e {
            SendError::Permanent(detail) => Outcome::Error {
                detail,
                retry_at: None,
            },
            SendError::Transient(detail) if attempts >= d.max_attempts => Outcome::Error {
                detail,
                retry_at: None,
            },
            SendError::Transient(detail) => Outcome::Error {
                detail,
                retry_at: Some(now_ms + backoff_ms(d.retry_after_ms, attempts)),
            },
        }
    };
    if m.channel == Channel::Sms && d.quiet_hours && !m.urgent {
        let at = sms_allowed_at(now_ms);
        if at > now_ms {
            return Outcome::Deferred { until: at };
        }
    }
    let Some(template) = in_force(saved, &m.kind, m.channel, &m.lang) else {
        return fail(SendError::Permanent(format!("no template for {}", m.kind)));
    };
    let rendered = match render(&template, &m.params) {
        Ok(r) => r,
        Err(e) => return fail(SendError::Permanent(e.to_string())),
    };
    let sent = match m.channel {
        Channel::Email => match &d.email {
            Some(e) => {
                e.send(m.id, &m.recipient, &rendered.subject, &rendered.body)
                    .await
            }
            None => Err(SendError::Transient("no e-mail server configured".into())),
        },
        Channel::Sms => match &d.sms {
            Some(s) => {
                s.send(
                    m.id,
                    &m.recipient,
                    &rendered.sms_code,
                    &m.params,
                    &rendered.body,
                    now_ms / 1000,
                )
                .await
            }
            None => Err(SendError::Transient("no SMS gateway configured".into())),
        },
    };
    match sent {
        Ok((remote_id, _reply)) => Outcome::Sent {
            remote_id: Some(remote_id).filter(|r| !r.is_empty()),
        },
        Err(e) => fail(e),
    }
}

/// Runs until `stop` turns true: delivers what is due, then waits a second (less when busy).
pub async fn run(store: Store, d: Delivery, stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let pause = match deliver_due(&store, &d, onego_store::now_millis()).await {
            Ok(0) => std::time::Duration::from_secs(1),
            Ok(_) => std::time::Duration::from_millis(50),
            Err(e) => {
                tracing::warn!(error = %e, "outbox delivery could not read the queue");
                std::time::Duration::from_secs(5)
            }
        };
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("time")
            .timestamp_millis()
    }

    #[test]
    fn quiet_hours_hold_an_sms_until_eight_in_the_morning_china_time() {
        assert_eq!(
            sms_allowed_at(at("2026-12-03T10:00:00+08:00")),
            at("2026-12-03T10:00:00+08:00")
        );
        assert_eq!(
            sms_allowed_at(at("2026-12-03T21:59:59+08:00")),
            at("2026-12-03T21:59:59+08:00")
        );
        assert_eq!(
            sms_allowed_at(at("2026-12-03T22:00:00+08:00")),
            at("2026-12-04T08:00:00+08:00")
        );
        assert_eq!(
            sms_allowed_at(at("2026-12-04T03:00:00+08:00")),
            at("2026-12-04T08:00:00+08:00")
        );
        assert_eq!(
            sms_allowed_at(at("2026-12-04T08:00:00+08:00")),
            at("2026-12-04T08:00:00+08:00")
        );
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_at_most_an_hour() {
        assert_eq!(backoff_ms(30_000, 1), 30_000);
        assert_eq!(backoff_ms(30_000, 2), 60_000);
        assert_eq!(backoff_ms(30_000, 3), 120_000);
        assert_eq!(backoff_ms(30_000, 9), 3_600_000);
        assert_eq!(backoff_ms(30_000, 50), 3_600_000);
        assert_eq!(backoff_ms(1_000, 3), 4_000);
    }
}
