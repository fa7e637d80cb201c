-- v1: one row per submitted attempt, each learner's rows visible only to that learner's role.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dystonia_teach_learner') THEN
        CREATE ROLE dystonia_teach_learner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dystonia_teach_instructor') THEN
        CREATE ROLE dystonia_teach_instructor NOLOGIN;
    END IF;
END
$$;
CREATE TABLE store_schema (version integer NOT NULL);
CREATE TABLE attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    learner_id text NOT NULL DEFAULT current_user,
    case_id text NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    actions jsonb NOT NULL CHECK (jsonb_typeof(actions) = 'array'),
    working_diagnosis text,
    score double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    pitfalls jsonb NOT NULL CHECK (jsonb_typeof(pitfalls) = 'array'),
    schema_version integer NOT NULL,
    package_version text NOT NULL,
    submission_key uuid NOT NULL UNIQUE
);
CREATE INDEX attempts_by_learner ON attempts (learner_id, case_id, id);
ALTER TABLE attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_own_rows ON attempts FOR ALL TO dystonia_teach_learner
    USING (learner_id = current_user) WITH CHECK (learner_id = current_user);
CREATE POLICY instructor_reads_all ON attempts FOR SELECT TO dystonia_teach_instructor
    USING (true);
GRANT USAGE ON SCHEMA public TO dystonia_teach_learner, dystonia_teach_instructor;
GRANT SELECT, INSERT ON attempts TO dystonia_teach_learner;
GRANT SELECT ON attempts TO dystonia_teach_instructor;
GRANT SELECT ON store_schema TO dystonia_teach_learner, dystonia_teach_instructor;
