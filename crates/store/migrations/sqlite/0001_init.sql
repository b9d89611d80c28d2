-- onego schema, SQLite. Instants are INTEGER epoch milliseconds (UTC); days are INTEGER yyyymmdd (local).
CREATE TABLE sequences (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    applicant_key TEXT,
    mobile TEXT,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
);

CREATE TABLE items (
    impl_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    effective_from INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (impl_code, version)
);

CREATE TABLE bundles (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE processes (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    title TEXT NOT NULL,
    department TEXT NOT NULL,
    applicant_key TEXT NOT NULL,
    applicant_user_id INTEGER,
    channel TEXT NOT NULL,
    submitted_at INTEGER NOT NULL,
    accepted_at INTEGER,
    accepted_day INTEGER,
    decided_at INTEGER,
    decided_day INTEGER,
    delivered_at INTEGER,
    due_at INTEGER,
    legal_due_at INTEGER,
    outcome TEXT,
    on_time INTEGER,
    legal_on_time INTEGER,
    used_days REAL,
    promised_days REAL,
    legal_days REAL,
    rating INTEGER,
    warned INTEGER NOT NULL DEFAULT 0,
    overdue INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cases_applicant ON cases (applicant_user_id, submitted_at);
CREATE INDEX cases_applicant_key ON cases (applicant_key);
CREATE INDEX cases_department ON cases (department, status);
CREATE INDEX cases_status ON cases (status, submitted_at);
CREATE INDEX cases_accepted_day ON cases (accepted_day);

-- The items of a case: one for an item, one per member for a bundle. Statistics by item read this.
CREATE TABLE case_items (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    item_code TEXT NOT NULL,
    department TEXT NOT NULL,
    PRIMARY KEY (case_id, item_code)
);
CREATE INDEX case_items_item ON case_items (item_code);
CREATE INDEX case_items_department ON case_items (department);

-- Append-only; each entry's hash is SM3 over the previous entry's hash and this entry.
CREATE TABLE journal (
    case_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
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
    case_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    department TEXT NOT NULL,
    role TEXT,
    name TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    due_at INTEGER,
    warning_at INTEGER,
    PRIMARY KEY (case_id, task_id)
);
CREATE INDEX tasks_department_due ON tasks (department, due_at);

CREATE TABLE timers (
    case_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    alarm TEXT NOT NULL,
    fire_at INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until INTEGER,
    PRIMARY KEY (case_id, target, alarm)
);
CREATE INDEX timers_fire_at ON timers (fire_at);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER,
    department TEXT,
    case_id INTEGER,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_department ON notifications (department, created_at);
