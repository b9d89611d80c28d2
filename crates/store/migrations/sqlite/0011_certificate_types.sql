-- The certificate catalog (证照目录): each certificate type (or shared data set) with its code, name,
-- issuing department, holder kind, validity and business-data fields, as JSON like items and bundles.
-- Items name the type their approval issues; materials name the type that satisfies them.
CREATE TABLE certificate_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);

-- Only `serve --demo` without --key-secret writes here: the demo city's key secret, kept with the
-- demo's data so its certificates stay issuable across restarts. A real installation gives the key
-- secret from outside (ONEGO_KEY_SECRET) and this table stays empty.
CREATE TABLE demo_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
