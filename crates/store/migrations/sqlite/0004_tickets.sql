-- Requests (诉求) of the 12345 hotline, grid events and enterprise whistles. A ticket is an aggregate like a
-- case: the state is JSON, the columns beside it serve lists, statistics and Open311; its journal, open tasks,
-- timers and notifications live in the same tables as a case's (ids come from the one "case_id" sequence,
-- so an id names either a case or a ticket, never both).
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    category_code TEXT NOT NULL,
    category1 TEXT NOT NULL,
    category2 TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    lead TEXT,
    urgency TEXT NOT NULL,
    grid TEXT,
    lat REAL,
    lon REAL,
    address TEXT,
    requester_user_id INTEGER,
    received_at INTEGER NOT NULL,
    received_day INTEGER NOT NULL,
    dispatched_at INTEGER,
    signed_at INTEGER,
    replied_at INTEGER,
    closed_at INTEGER,
    response_due_at INTEGER,
    solve_due_at INTEGER,
    responded_on_time INTEGER,
    solved_on_time INTEGER,
    returns INTEGER NOT NULL,
    reopens INTEGER NOT NULL,
    satisfaction INTEGER,
    solved INTEGER,
    merged_into INTEGER,
    supervision TEXT,
    warned INTEGER NOT NULL,
    overdue INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tickets_status ON tickets (status, received_at);
CREATE INDEX tickets_lead ON tickets (lead, status);
CREATE INDEX tickets_received_day ON tickets (received_day);
CREATE INDEX tickets_updated_at ON tickets (updated_at);
CREATE INDEX tickets_category ON tickets (category_code, received_at);
CREATE INDEX tickets_requester ON tickets (requester_user_id, received_at);

-- Every time a department sent a request back (退单), for its return rate.
CREATE TABLE ticket_returns (
    ticket_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    department TEXT NOT NULL,
    at INTEGER NOT NULL,
    day INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
CREATE INDEX ticket_returns_department ON ticket_returns (department, day);

-- Request categories and SLA profiles are data, edited by administrators.
CREATE TABLE ticket_categories (
    code TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE sla_profiles (
    code TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

-- Governance areas (region → street → community → grid) with their GeoJSON boundaries.
CREATE TABLE grid_areas (
    code TEXT PRIMARY KEY,
    parent TEXT,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);

-- The inbox reads open tasks alone: a task names what it belongs to.
ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'case';
ALTER TABLE tasks ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN title TEXT NOT NULL DEFAULT '';
UPDATE tasks SET number = (SELECT c.number FROM cases c WHERE c.id = tasks.case_id),
                 title = (SELECT c.title FROM cases c WHERE c.id = tasks.case_id);
