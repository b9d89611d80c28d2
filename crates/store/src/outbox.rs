//! The outbox: messages to send by e-mail and SMS, queued in the same transaction as the command that
//! causes them ([`expand`], called by the aggregate write path), claimed by delivery workers with a
//! lease (and `FOR UPDATE SKIP LOCKED` on PostgreSQL, as timers are), and every attempt recorded.
//!
//! At most once per successful attempt: a worker that dies between sending and recording leaves the
//! claim to expire, and the message is sent again; the recipient-side id (the Message-ID of an e-mail,
//! the gateway's request id) of each attempt is stored, so such a repeat is visible.

use crate::StoreError;
use crate::aggregate::NotificationRow;
use crate::sql::{Conn, Dialect, Value, insert_many};

pub use onego_domain::delivery::{AttemptOutcome, Channel, Status};

/// A queued message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub aggregate_id: Option<i64>,
    /// The template: `accepted`, `supplement`, `ticket_received`, …
    pub kind: String,
    pub channel: Channel,
    /// An e-mail address or a mobile number.
    pub recipient: String,
    pub user_id: Option<i64>,
    pub lang: String,
    pub params: Vec<(String, String)>,
    /// Sent in quiet hours too.
    pub urgent: bool,
    pub status: Status,
    pub attempts: i64,
    pub next_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub remote_id: Option<String>,
    pub last_error: Option<String>,
}

/// One try to send a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: i64,
    pub outcome: AttemptOutcome,
    pub detail: Option<String>,
    pub remote_id: Option<String>,
}

/// The channels this installation delivers through; messages are queued only for these.
pub fn set_channels(conn: &mut dyn Conn, email: bool, sms: bool) -> Result<(), StoreError> {
    // One statement per channel, so servers starting together on one database never collide.
    for (c, on) in [(Channel::Email, email), (Channel::Sms, sms)] {
        conn.execute(
            "INSERT INTO delivery_channels (channel, enabled) VALUES ($1, $2) \
             ON CONFLICT (channel) DO UPDATE SET enabled = excluded.enabled",
            &[c.as_str().into(), Value::Int(i64::from(on))],
        )?;
    }
    Ok(())
}

/// The channels messages are queued for (set by the servers at start).
pub fn enabled_channels(conn: &mut dyn Conn) -> Result<Vec<Channel>, StoreError> {
    Ok(conn
        .query("SELECT channel FROM delivery_channels WHERE enabled = 1", &[])?
        .iter()
        .filter_map(|r| r.text(0).ok().and_then(|c| Channel::parse(&c)))
        .collect())
}

/// Queues, for the notices of one committed batch, a message per channel each recipient chose: the
/// user (by account), a department's staff (and its supervisors where the notice says so), or a
/// consented phone. Runs inside the write transaction, so a message exists exactly when its command
/// committed.
pub fn expand(conn: &mut dyn Conn, notices: &[(i64, &NotificationRow)]) -> Result<(), StoreError> {
    if notices.is_empty() {
        return Ok(());
    }
    let channels = enabled_channels(conn)?;
    if channels.is_empty() {
        return Ok(());
    }
    let (email_on, sms_on) = (
        channels.contains(&Channel::Email),
        channels.contains(&Channel::Sms),
    );
    let mut rows: Vec<Vec<Value>> = Vec::new();
    // A batch often tells one department several things: its staff are read once per batch.
    let mut staff: std::collections::HashMap<(String, bool), Vec<Person>> = std::collections::HashMap::new();
    for (aggregate, n) in notices {
        // (person, on duty): an urgent notice to a department reaches its staff by SMS whatever their
        // choice (a summons must not wait for someone who turned SMS off); citizens' choices always hold.
        let mut people: Vec<(Person, bool)> = Vec::new();
        if let Some(uid) = n.user_id {
            people.extend(
                persons(conn, "id = $1", Value::Int(uid))?
                    .into_iter()
                    .map(|p| (p, false)),
            );
        }
        if let Some(dept) = &n.department {
            let key = (dept.clone(), n.supervisors);
            if !staff.contains_key(&key) {
                let roles = if n.supervisors {
                    "('approver', 'supervisor', 'dispatcher', 'operator')"
                } else {
                    "('approver', 'dispatcher', 'operator')"
                };
                let found = persons(
                    conn,
                    &format!("department = $1 AND role IN {roles}"),
                    dept.as_str().into(),
                )?;
                staff.insert(key.clone(), found);
            }
            people.extend(staff[&key].iter().cloned().map(|p| (p, n.urgent)));
        }
        let params = serde_json::to_string(&n.params).map_err(|e| StoreError::Data(e.to_string()))?;
        let mut push = |channel: Channel, to: String, user: Option<i64>, lang: &str| {
            rows.push(vec![
                Value::Int(*aggregate),
                n.kind.as_str().into(),
                channel.as_str().into(),
                to.into(),
                user.into(),
                lang.into(),
                params.as_str().into(),
                Value::Int(i64::from(n.urgent)),
                Value::Int(n.created_at),
                Value::Int(n.created_at),
            ]);
        };
        for (p, duty) in people {
            if email_on
                && p.wants_email
                && let Some(e) = p.email
            {
                push(Channel::Email, e, Some(p.id), p.lang);
            }
            if sms_on
                && (p.wants_sms || duty)
                && let Some(m) = p.mobile
            {
                push(Channel::Sms, m, Some(p.id), p.lang);
            }
        }
        if sms_on && let Some(phone) = &n.phone {
            // Someone without an account is written to in Chinese: no other language is recorded for them.
            push(Channel::Sms, phone.clone(), None, "zh");
        }
    }
    insert_many(
        conn,
        "outbox",
        &[
            "aggregate_id",
            "kind",
            "channel",
            "recipient",
            "user_id",
            "lang",
            "params",
            "emergency",
            "next_at",
            "created_at",
        ],
        rows,
    )
}

/// A user who may be told something, with their addresses and choices.
#[derive(Clone)]
struct Person {
    id: i64,
    email: Option<String>,
    mobile: Option<String>,
    wants_email: bool,
    wants_sms: bool,
    lang: &'static str,
}

/// Active users matching `filter` (with one parameter, `$1`).
fn persons(conn: &mut dyn Conn, filter: &str, param: Value) -> Result<Vec<Person>, StoreError> {
    conn.query(
        &format!(
            "SELECT id, email, mobile, notify_email, notify_sms, message_lang FROM users WHERE disabled = 0 AND {filter}"
        ),
        &[param],
    )?
    .iter()
    .map(|r| {
        Ok(Person {
            id: r.int(0)?,
            email: r.opt_text(1)?.filter(|e| !e.is_empty()),
            mobile: r.opt_text(2)?.filter(|m| !m.is_empty()),
            wants_email: r.int(3)? == 1,
            wants_sms: r.int(4)? == 1,
            lang: onego_domain::labels::Lang::from_code(&r.text(5)?).code(),
        })
    })
    .collect()
}

const COLUMNS: &str = "id, aggregate_id, kind, channel, recipient, user_id, lang, params, emergency, status, \
                       attempts, next_at, created_at, sent_at, remote_id, last_error";

fn message(r: &crate::sql::Row) -> Result<Message, StoreError> {
    Ok(Message {
        id: r.int(0)?,
        aggregate_id: r.opt_int(1)?,
        kind: r.text(2)?,
        channel: Channel::parse(&r.text(3)?).ok_or_else(|| StoreError::Data("outbox channel".into()))?,
        recipient: r.text(4)?,
        user_id: r.opt_int(5)?,
        lang: r.text(6)?,
        params: serde_json::from_str(&r.text(7)?).map_err(|e| StoreError::Data(e.to_string()))?,
        urgent: r.int(8)? == 1,
        status: Status::parse(&r.text(9)?).unwrap_or(Status::Pending),
        attempts: r.int(10)?,
        next_at: r.int(11)?,
        created_at: r.int(12)?,
        sent_at: r.opt_int(13)?,
        remote_id: r.opt_text(14)?,
        last_error: r.opt_text(15)?,
    })
}

/// Claims up to `limit` due messages of `channels` that no live worker holds, for `lease_ms`.
pub fn claim(
    conn: &mut dyn Conn,
    owner: &str,
    channels: &[Channel],
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Message>, StoreError> {
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let lock = match conn.dialect() {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let list = channels
        .iter()
        .map(|c| format!("'{}'", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN \
         (SELECT id FROM outbox WHERE status = 'pending' AND next_at <= $3 AND channel IN ({list}) \
          AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_at LIMIT $4{lock}) \
         RETURNING {COLUMNS}"
    );
    let rows = conn.query(
        &sql,
        &[
            owner.into(),
            Value::Int(now + lease_ms),
            Value::Int(now),
            Value::Int(limit),
        ],
    )?;
    let mut out = rows.iter().map(message).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|m| (m.next_at, m.id));
    Ok(out)
}

/// What became of a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        remote_id: Option<String>,
    },
    /// Failed this time: tried again at `retry_at`, or given up (`retry_at` None).
    Error {
        detail: String,
        retry_at: Option<i64>,
    },
    /// Not tried now (quiet hours): waits until `until`, no attempt counted.
    Deferred {
        until: i64,
    },
}

/// (outcome, detail, remote id) of an attempt to record.
type AttemptRow = (AttemptOutcome, Option<String>, Option<String>);

/// A person's contact details and which channels they want messages on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub by_email: bool,
    pub by_sms: bool,
    /// The language of their messages.
    pub lang: onego_domain::labels::Lang,
}

/// Records an attempt and moves the message on; only the worker holding the claim may.
pub fn record(
    conn: &mut dyn Conn,
    id: i64,
    owner: &str,
    now: i64,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let (sql, params, attempt): (&str, Vec<Value>, Option<AttemptRow>) = match outcome {
        Outcome::Sent { remote_id } => (
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $3, remote_id = $4, \
             claimed_by = NULL, claimed_until = NULL, last_error = NULL WHERE id = $1 AND claimed_by = $2",
            vec![
                Value::Int(id),
                owner.into(),
                Value::Int(now),
                remote_id.clone().into(),
            ],
            Some((AttemptOutcome::Sent, None, remote_id.clone())),
        ),
        Outcome::Error { detail, retry_at } => (
            "UPDATE outbox SET status = $3, attempts = attempts + 1, next_at = $4, last_error = $5, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2",
            vec![
                Value::Int(id),
                owner.into(),
                (if retry_at.is_some() { "pending" } else { "failed" }).into(),
                Value::Int(retry_at.unwrap_or(now)),
                detail.as_str().into(),
            ],
            Some((AttemptOutcome::Error, Some(detail.clone()), None)),
        ),
        Outcome::Deferred { until } => (
            "UPDATE outbox SET next_at = $3, claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2",
            vec![Value::Int(id), owner.into(), Value::Int(*until)],
            None,
        ),
    };
    let changed = conn.execute(sql, &params)? == 1;
    if changed && let Some((what, detail, remote)) = attempt {
        conn.execute(
            "INSERT INTO outbox_attempts (outbox_id, at, outcome, detail, remote_id) VALUES ($1, $2, $3, $4, $5)",
            &[Value::Int(id), Value::Int(now), what.as_str().into(), detail.into(), remote.into()],
        )?;
    }
    Ok(changed)
}

/// Sends a failed message again (an administrator's resend): pending, due now, attempts kept.
pub fn resend(conn: &mut dyn Conn, id: i64, now: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE outbox SET status = 'pending', next_at = $2, claimed_by = NULL, claimed_until = NULL \
         WHERE id = $1 AND status = 'failed'",
        &[Value::Int(id), Value::Int(now)],
    )? == 1)
}

/// Messages of a status (all when `None`), newest first.
pub fn list(conn: &mut dyn Conn, status: Option<Status>, limit: i64) -> Result<Vec<Message>, StoreError> {
    let rows = match status {
        Some(s) => conn.query(
            &format!("SELECT {COLUMNS} FROM outbox WHERE status = $1 ORDER BY id DESC LIMIT $2"),
            &[s.as_str().into(), Value::Int(limit)],
        )?,
        None => conn.query(
            &format!("SELECT {COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1"),
            &[Value::Int(limit)],
        )?,
    };
    rows.iter().map(message).collect()
}

/// One message.
pub fn get(conn: &mut dyn Conn, id: i64) -> Result<Option<Message>, StoreError> {
    conn.query_one(
        &format!("SELECT {COLUMNS} FROM outbox WHERE id = $1"),
        &[Value::Int(id)],
    )?
    .as_ref()
    .map(message)
    .transpose()
}

/// A message's attempts, oldest first.
pub fn attempts(conn: &mut dyn Conn, id: i64) -> Result<Vec<Attempt>, StoreError> {
    conn.query(
        "SELECT at, outcome, detail, remote_id FROM outbox_attempts WHERE outbox_id = $1 ORDER BY at",
        &[Value::Int(id)],
    )?
    .iter()
    .map(|r| {
        Ok(Attempt {
            at: r.int(0)?,
            outcome: AttemptOutcome::parse(&r.text(1)?)
                .ok_or_else(|| StoreError::Data("outbox attempt outcome".into()))?,
            detail: r.opt_text(2)?,
            remote_id: r.opt_text(3)?,
        })
    })
    .collect()
}

/// Delivery figures for `/metrics` and the admin page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Attempts that failed and were tried again.
    pub retried: i64,
    /// Age of the oldest pending message, in milliseconds (0 when none waits).
    pub oldest_pending_ms: i64,
}

pub fn figures(conn: &mut dyn Conn, now: i64) -> Result<Figures, StoreError> {
    let mut f = Figures::default();
    for r in conn.query(
        "SELECT status, COUNT(*), MIN(created_at) FROM outbox GROUP BY status",
        &[],
    )? {
        let n = r.int(1)?;
        match Status::parse(&r.text(0)?).unwrap_or(Status::Pending) {
            Status::Pending => {
                f.pending = n;
                f.oldest_pending_ms = r.opt_int(2)?.map_or(0, |t| (now - t).max(0));
            }
            Status::Sent => f.sent = n,
            Status::Failed => f.failed = n,
        }
    }
    f.retried = conn
        .query_one(
            "SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'error'",
            &[],
        )?
        .map_or(Ok(0), |r| r.int(0))?;
    Ok(f)
}

/// A template an administrator saved (overriding the built-in one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub kind: String,
    pub channel: String,
    pub lang: String,
    pub subject: String,
    pub body: String,
    pub sms_code: String,
    pub updated_at: i64,
    pub updated_by: String,
}

pub fn templates(conn: &mut dyn Conn) -> Result<Vec<TemplateRow>, StoreError> {
    conn.query(
        "SELECT kind, channel, lang, subject, body, sms_code, updated_at, updated_by FROM message_templates \
         ORDER BY kind, channel, lang",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(TemplateRow {
            kind: r.text(0)?,
            channel: r.text(1)?,
            lang: r.text(2)?,
            subject: r.text(3)?,
            body: r.text(4)?,
            sms_code: r.text(5)?,
            updated_at: r.int(6)?,
            updated_by: r.text(7)?,
        })
    })
    .collect()
}

pub fn save_template(conn: &mut dyn Conn, t: &TemplateRow) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO message_templates (kind, channel, lang, subject, body, sms_code, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind, channel, lang) DO UPDATE SET \
         subject = excluded.subject, body = excluded.body, sms_code = excluded.sms_code, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[
            t.kind.as_str().into(),
            t.channel.as_str().into(),
            t.lang.as_str().into(),
            t.subject.as_str().into(),
            t.body.as_str().into(),
            t.sms_code.as_str().into(),
            Value::Int(t.updated_at),
            t.updated_by.as_str().into(),
        ],
    )?;
    Ok(())
}

/// Queues one message directly (the `notify test` command and tests), outside any aggregate.
pub fn enqueue(
    conn: &mut dyn Conn,
    kind: &str,
    channel: Channel,
    to: &str,
    params: &[(String, String)],
    now: i64,
) -> Result<i64, StoreError> {
    let params = serde_json::to_string(params).map_err(|e| StoreError::Data(e.to_string()))?;
    let row = conn
        .query_one(
            "INSERT INTO outbox (kind, channel, recipient, params, emergency, next_at, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
            &[
                kind.into(),
                channel.as_str().into(),
                to.into(),
                params.into(),
                Value::Int(now),
            ],
        )?
        .ok_or_else(|| StoreError::Data("outbox insert".into()))?;
    row.int(0)
}

/// A person's contact details and choices (validated by the caller's boundary).
pub fn set_contact(conn: &mut dyn Conn, user_id: i64, c: &Contact) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE users SET email = $2, mobile = $3, notify_email = $4, notify_sms = $5, message_lang = $6 \
         WHERE id = $1",
        &[
            Value::Int(user_id),
            c.email.as_deref().into(),
            c.mobile.as_deref().into(),
            Value::Int(i64::from(c.by_email)),
            Value::Int(i64::from(c.by_sms)),
            c.lang.code().into(),
        ],
    )? == 1)
}

/// A user's contact details and choices.
pub fn contact(conn: &mut dyn Conn, user_id: i64) -> Result<Option<Contact>, StoreError> {
    conn.query_one(
        "SELECT email, mobile, notify_email, notify_sms, message_lang FROM users WHERE id = $1",
        &[Value::Int(user_id)],
    )?
    .map(|r| {
        Ok(Contact {
            email: r.opt_text(0)?,
            mobile: r.opt_text(1)?,
            by_email: r.int(2)? == 1,
            by_sms: r.int(3)? == 1,
            lang: onego_domain::labels::Lang::from_code(&r.text(4)?),
        })
    })
    .transpose()
}
