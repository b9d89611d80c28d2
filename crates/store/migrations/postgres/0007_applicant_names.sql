-- An ID number (or 统一社会信用代码) belongs to one name: the account's, else the first name an
-- application used with it. A later application under another name is refused.
CREATE TABLE applicant_names (
    applicant_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    bound_at BIGINT NOT NULL
);
INSERT INTO applicant_names (applicant_key, name, bound_at)
    SELECT applicant_key, name, created_at FROM users WHERE applicant_key IS NOT NULL ORDER BY id
    ON CONFLICT (applicant_key) DO NOTHING;
INSERT INTO applicant_names (applicant_key, name, bound_at)
    SELECT applicant_key, state::json #>> '{applicant,name}', submitted_at FROM cases
    WHERE state::json #>> '{applicant,name}' IS NOT NULL ORDER BY submitted_at, id
    ON CONFLICT (applicant_key) DO NOTHING;
