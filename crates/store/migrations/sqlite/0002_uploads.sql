-- Uploaded materials. The bytes live in the database so one backup holds everything.
CREATE TABLE uploads (
    id INTEGER PRIMARY KEY,
    owner_user_id INTEGER NOT NULL,
    case_id INTEGER,
    material_code TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sm3 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX uploads_case ON uploads (case_id);
