-- Uploaded materials. The bytes live in the database so one backup holds everything.
CREATE TABLE uploads (
    id BIGSERIAL PRIMARY KEY,
    owner_user_id BIGINT NOT NULL,
    case_id BIGINT,
    material_code TEXT,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sm3 TEXT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX uploads_case ON uploads (case_id);
