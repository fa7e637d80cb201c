-- v1 (the first release): one row per submitted attempt.
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    learner_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    actions TEXT NOT NULL CHECK (json_valid(actions)),
    working_diagnosis TEXT,
    score REAL NOT NULL,
    pitfalls TEXT NOT NULL CHECK (json_valid(pitfalls)),
    schema_version INTEGER NOT NULL,
    package_version TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS attempts_by_learner ON attempts (learner_id, case_id, id);
