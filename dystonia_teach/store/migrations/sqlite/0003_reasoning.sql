-- v3: the learner's reasoning saved with each attempt (a JSON object; NULL for older attempts),
-- and one draft per learner and case: unfinished work that can be resumed.
ALTER TABLE attempts ADD COLUMN record TEXT
    CHECK (record IS NULL OR (json_valid(record) AND json_type(record) = 'object'));
CREATE TABLE drafts (
    learner_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    record TEXT NOT NULL CHECK (json_valid(record) AND json_type(record) = 'object'),
    saved_at TEXT NOT NULL,
    PRIMARY KEY (learner_id, case_id)
) STRICT;
