-- v2: batch re-grading keeps the latest re-score of each attempt beside the versions that made it.
CREATE TABLE grades (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    score REAL NOT NULL,
    pitfalls TEXT NOT NULL CHECK (json_valid(pitfalls)),
    package_version TEXT NOT NULL,
    knowledge_version TEXT NOT NULL,
    graded_at TEXT NOT NULL
) STRICT;
