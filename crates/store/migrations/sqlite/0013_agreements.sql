-- 帮办代办: agency agreements (代办协议) between an enterprise and an agent, kept as an aggregate like a
-- case (its state JSON; the columns beside it serve the lists of the enterprise, the agent and the
-- agency centre, and the mandates loaded with an agent's account).
CREATE TABLE agreements (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    number TEXT NOT NULL,
    enterprise_key TEXT NOT NULL,
    agent_user INTEGER NOT NULL,
    department TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX agreements_number ON agreements (number);
CREATE INDEX agreements_agent ON agreements (agent_user);
CREATE INDEX agreements_enterprise ON agreements (enterprise_key);
CREATE INDEX agreements_department ON agreements (department);

-- 云勘验 and 云会商 on cases: the hours from an inspection task's opening to its inspection record, and
-- the working days from a joint review meeting to the decision (statistics read their averages).
ALTER TABLE cases ADD COLUMN inspection_hours REAL;
ALTER TABLE cases ADD COLUMN meeting_decision_days REAL;
