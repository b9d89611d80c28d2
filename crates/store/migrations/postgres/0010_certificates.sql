-- Electronic certificates (电子证照, GB/T 36901–36905). A certificate is an aggregate like a case: the
-- state is JSON (its sealed content, seal and status), the columns beside it serve lookups by holder,
-- department and identifier and the expiry timer; its journal (issue, every use with its reason,
-- suspension, revocation, expiry) lives with every other aggregate's, in the hash chain.
CREATE TABLE certificates (
    id BIGINT PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    type_code TEXT NOT NULL,
    type_name TEXT NOT NULL,
    holder_key TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    department TEXT NOT NULL,
    issued_day BIGINT NOT NULL,
    valid_until_day BIGINT,
    case_id BIGINT,
    uses BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_key, status);
CREATE INDEX certificates_department ON certificates (department, status);
CREATE INDEX certificates_case ON certificates (case_id);

-- Each issuing body's SM2 key pairs. The private key is kept only encrypted (SM4-CTR with HMAC-SM3,
-- under the installation's key secret); the public key in the clear. Rotation retires a key without
-- deleting it, so certificates it sealed still verify.
CREATE TABLE issuer_keys (
    id BIGSERIAL PRIMARY KEY,
    department TEXT NOT NULL,
    public_key TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX issuer_keys_department ON issuer_keys (department, retired_at);
