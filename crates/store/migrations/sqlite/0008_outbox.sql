-- Reaching people where they are (docs/ARCHITECTURE.md, "The outbox"). Each person has an e-mail address
-- beside the mobile number, and chooses per channel; an application's or request's contact is reached
-- only with the consent recorded on it.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN notify_email INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_sms INTEGER NOT NULL DEFAULT 1;

-- The channels this installation delivers through (set by `serve` from --smtp / --sms-webhook): a
-- message is queued only for a channel that can carry it.
CREATE TABLE delivery_channels (
    channel TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL
);

-- Messages to send, written in the same transaction as the command that causes them. A worker claims
-- the due ones (with a lease), sends, and records every attempt.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    aggregate_id INTEGER,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    user_id INTEGER,
    lang TEXT NOT NULL DEFAULT 'zh',
    params TEXT NOT NULL,
    emergency INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until INTEGER,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    remote_id TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE status = 'pending';
CREATE INDEX outbox_status ON outbox (status, created_at);

CREATE TABLE outbox_attempts (
    outbox_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    remote_id TEXT
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (outbox_id, at);

-- Templates edited by an administrator; without a row the built-in text of the kind is used.
CREATE TABLE message_templates (
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    sms_code TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (kind, channel, lang)
);
