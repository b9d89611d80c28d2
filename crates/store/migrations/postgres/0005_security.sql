-- API tokens get an id (to list and revoke them), a scope, an expiry and a revocation.
ALTER TABLE api_tokens ADD COLUMN id BIGSERIAL;
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'api';
-- Tokens made before expiries existed run for 90 days from now.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) + CAST(90 AS BIGINT) * 86400000;
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed log-ins, per account ("user:<name>") and per address ("addr:<ip>"): a growing lock.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    locked_until BIGINT
);

-- Upload quotas and the sweep of files never tied to a case or request.
CREATE INDEX uploads_owner ON uploads (owner_user_id, created_at);
