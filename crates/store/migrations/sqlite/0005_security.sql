-- API tokens get an id (to list and revoke them), a scope, an expiry and a revocation.
CREATE TABLE api_tokens_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT 'api',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
-- Tokens made before expiries existed run for 90 days from now.
INSERT INTO api_tokens_new (token_hash, user_id, name, scope, created_at, expires_at, last_used_at)
    SELECT token_hash, user_id, name, 'api', created_at,
           CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 90 * 86400000, last_used_at
    FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed log-ins, per account ("user:<name>") and per address ("addr:<ip>"): a growing lock.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    locked_until INTEGER
);

-- Upload quotas and the sweep of files never tied to a case or request.
CREATE INDEX uploads_owner ON uploads (owner_user_id, created_at);
