-- v4: grades record the digest of the case they were judged on; a bad attempt can be moved
-- aside (quarantine) by the instructor; size caps on what a program may save.
ALTER TABLE grades ADD COLUMN case_digest TEXT;
CREATE TABLE quarantine (
    attempt_id INTEGER PRIMARY KEY,
    learner_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    saved_row TEXT NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL,
    quarantined_by TEXT NOT NULL
) STRICT;
CREATE TRIGGER attempts_fit BEFORE INSERT ON attempts
WHEN length(NEW.learner_id) > 64 OR length(NEW.case_id) > 64 OR length(NEW.actions) > 20000
    OR length(NEW.pitfalls) > 10000 OR length(NEW.record) > 200000
    OR length(NEW.working_diagnosis) > 64 OR length(NEW.package_version) > 64
BEGIN
    SELECT RAISE(ABORT, 'an attempt larger than the store accepts');
END;
CREATE TRIGGER attempts_record_fits BEFORE UPDATE OF record ON attempts
WHEN length(NEW.record) > 200000
BEGIN
    SELECT RAISE(ABORT, 'a reasoning record larger than the store accepts');
END;
CREATE TRIGGER drafts_fit BEFORE INSERT ON drafts
WHEN length(NEW.record) > 200000 OR length(NEW.case_id) > 64
BEGIN
    SELECT RAISE(ABORT, 'a draft larger than the store accepts');
END;
