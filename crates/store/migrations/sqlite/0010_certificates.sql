-- Electronic certificates (电子证照, GB/T 36901–36905). A certificate is an aggregate like a case: the
-- state is JSON (its sealed content, seal and status), the columns beside it serve lookups by holder,
-- department and identifier and the expiry timer; its journal (issue, every use with its reason,
-- suspension, revocation, expiry) lives with every other aggregate's, in the hash chain.
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    type_code TEXT NOT NULL,
    type_name TEXT NOT NULL,
    holder_key TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    department TEXT NOT NULL,
    issued_day INTEGER NOT NULL,
    valid_until_day INTEGER,
    case_id INTEGER,
    uses INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_key, status);
CREATE INDEX certificates_department ON certificates (department, status);
CREATE INDEX certificates_case ON certificates (case_id);
