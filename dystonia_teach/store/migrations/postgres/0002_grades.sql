-- v2: batch re-grading keeps the latest re-score of each attempt beside the versions that made it.
CREATE TABLE grades (
    attempt_id bigint PRIMARY KEY REFERENCES attempts (id),
    score double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    pitfalls jsonb NOT NULL,
    package_version text NOT NULL,
    knowledge_version text NOT NULL,
    graded_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE grades ENABLE ROW LEVEL SECURITY;
ALTER TABLE grades FORCE ROW LEVEL SECURITY;
CREATE POLICY instructor_grades ON grades FOR ALL TO dystonia_teach_instructor
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON grades TO dystonia_teach_instructor;
