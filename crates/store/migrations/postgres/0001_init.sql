-- onego schema, PostgreSQL. Instants are BIGINT epoch milliseconds (UTC); days are BIGINT yyyymmdd (local).
CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    applicant_key TEXT,
    mobile TEXT,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE items (
    impl_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (impl_code, version)
);

CREATE TABLE bundles (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE processes (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE cases (
    id BIGINT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    applicant_key TEXT NOT NULL,
    applicant_user_id BIGINT,
    channel TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_day BIGINT,
    decided_at BIGINT,
    decided_day BIGINT,
    delivered_at BIGINT,
    due_at BIGINT,
    legal_due_at BIGINT,
    outcome TEXT,
    on_time BIGINT,
    legal_on_time BIGINT,
    used_days DOUBLE PRECISION,
    promised_days DOUBLE PRECISION,
    legal_days DOUBLE PRECISION,
    rating BIGINT,
    warned BIGINT NOT NULL DEFAULT 0,
    overdue BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_applicant ON cases (applicant_user_id, submitted_at);
CREATE INDEX cases_applicant_key ON cases (applicant_key);
CREATE INDEX cases_department ON cases (department, status);
CREATE INDEX cases_status ON cases (status, submitted_at);
CREATE INDEX cases_accepted_day ON cases (accepted_day);

-- The items of a case: one for an item, one per member for a bundle. Statistics by item read this.
CREATE TABLE case_items (
    case_id BIGINT NOT NULL REFERENCES cases(id),
    item_code TEXT NOT NULL,
    department TEXT NOT NULL,
    PRIMARY KEY (case_id, item_code)
);
CREATE INDEX case_items_item ON case_items (item_code);
CREATE INDEX case_items_department ON case_items (department);

-- Append-only; each entry's hash is SM3 over the previous entry's hash and this entry.
CREATE TABLE journal (
    case_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    opinion TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Open tasks only; a task leaves when it is done or cancelled (the journal keeps its history).
CREATE TABLE tasks (
    case_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL,
    department TEXT NOT NULL,
    role TEXT,
    name TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    due_at BIGINT,
    warning_at BIGINT,
    PRIMARY KEY (case_id, task_id)
);
CREATE INDEX tasks_department_due ON tasks (department, due_at);

CREATE TABLE timers (
    case_id BIGINT NOT NULL,
    target TEXT NOT NULL,
    alarm TEXT NOT NULL,
    fire_at BIGINT NOT NULL,
    claimed_by TEXT,
    claimed_until BIGINT,
    PRIMARY KEY (case_id, target, alarm)
);
CREATE INDEX timers_fire_at ON timers (fire_at);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT,
    department TEXT,
    case_id BIGINT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_department ON notifications (department, created_at);
