-- v3: the learner's reasoning saved with each attempt (NULL for older attempts), which the learner
-- may update (the debrief's reflection) but nothing else of the row; and one draft per learner and
-- case, unfinished work to resume, visible and writable only by its learner.
ALTER TABLE attempts ADD COLUMN record jsonb
    CHECK (record IS NULL OR jsonb_typeof(record) = 'object');
GRANT UPDATE (record) ON attempts TO dystonia_teach_learner;
CREATE TABLE drafts (
    learner_id text NOT NULL DEFAULT current_user,
    case_id text NOT NULL,
    record jsonb NOT NULL CHECK (jsonb_typeof(record) = 'object'),
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, case_id)
);
ALTER TABLE drafts ENABLE ROW LEVEL SECURITY;
ALTER TABLE drafts FORCE ROW LEVEL SECURITY;
CREATE POLICY learner_own_drafts ON drafts FOR ALL TO dystonia_teach_learner
    USING (learner_id = current_user) WITH CHECK (learner_id = current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON drafts TO dystonia_teach_learner;
