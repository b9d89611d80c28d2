-- Holiday table files loaded by administrators (a new year's notice, a region's rest days), applied in order
-- over the built-in table at every start.
CREATE TABLE holiday_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
