-- Major projects (重大项目): the approval path of each project type (four stages, their lead departments
-- and items, the target in working days) as catalog data, and the project as an aggregate like a case
-- (its state JSON; the columns beside it serve lists by enterprise, type, key level and stage).
CREATE TABLE project_paths (
    kind TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    investor_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    key_level TEXT NOT NULL,
    stage TEXT NOT NULL,
    steward_department TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX projects_code ON projects (code);
CREATE INDEX projects_investor ON projects (investor_key);
CREATE INDEX projects_steward ON projects (steward_department, key_level);

-- The departments with a part in a project (steering, leading a stage, or with a procedure): its lists.
CREATE TABLE project_departments (
    project_id INTEGER NOT NULL,
    department TEXT NOT NULL,
    PRIMARY KEY (project_id, department)
);
CREATE INDEX project_departments_department ON project_departments (department);

-- A case opened for a project's procedure.
ALTER TABLE cases ADD COLUMN project_id INTEGER;
CREATE INDEX cases_project ON cases (project_id);
