-- v4: a class store no learner can break.
-- * Learners map to database roles through learner_roles (opaque role names, so a learner who
--   lists the server's roles sees no classmate's user name). A role missing from the map, such
--   as the learner group itself (SET ROLE dystonia_teach_learner), sees and writes nothing.
-- * Every value a learner can write is checked here: JSON shape, nesting depth and size caps,
--   ids of the expected form; submitted_at is the server's clock (learners may not name it) and
--   so is a draft's saved_at.
-- * Instructors may move a bad attempt aside (quarantine) or delete it; grades record the digest
--   of the case they were judged on, and no longer reference attempts, so a learner's row lock
--   never stalls grading.
-- Rows saved before this version are not re-checked (NOT VALID): reading tools skip and name
-- any that do not fit, and an instructor quarantines them.
CREATE TABLE learner_roles (
    role_name text PRIMARY KEY CHECK (length(role_name) BETWEEN 1 AND 63),
    learner_id text NOT NULL UNIQUE CHECK (learner_id ~ '^[A-Za-z0-9_-]{1,64}$')
);
ALTER TABLE learner_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY learner_own_role ON learner_roles FOR SELECT TO dystonia_teach_learner
    USING (role_name = current_user);
CREATE POLICY instructor_reads_roles ON learner_roles FOR SELECT TO dystonia_teach_instructor
    USING (true);
GRANT SELECT ON learner_roles TO dystonia_teach_learner, dystonia_teach_instructor;
-- learners of earlier versions, whose role is named after their learner id and who saved here
-- (roles are shared by every database of the server: a learner of another course gets nothing)
INSERT INTO learner_roles (role_name, learner_id)
    SELECT r.rolname, r.rolname FROM pg_roles r
    WHERE pg_has_role(r.oid, 'dystonia_teach_learner', 'MEMBER') AND NOT r.rolsuper
      AND r.rolname NOT IN ('dystonia_teach_learner', 'dystonia_teach_instructor')
      AND r.rolname ~ '^[A-Za-z0-9_-]{1,63}$'
      AND r.rolname IN (SELECT learner_id FROM attempts UNION SELECT learner_id FROM drafts);

-- the learner id of the connected role; the table is named with its schema, because a learner's
-- own temporary table called learner_roles would otherwise be found first
DO $$
BEGIN
    EXECUTE format('CREATE FUNCTION dystonia_teach_learner_id() RETURNS text LANGUAGE sql STABLE '
                   'SET search_path = pg_catalog, pg_temp AS '
                   '$f$ SELECT learner_id FROM %I.learner_roles WHERE role_name = current_user $f$',
                   current_schema());
END
$$;

-- true when doc is at most max_bytes of JSON text, nests at most max_depth arrays or objects and
-- holds no string longer than max_text characters (walked level by level: no recursion)
CREATE FUNCTION dystonia_teach_json_fits(doc jsonb, max_depth integer, max_bytes integer,
                                         max_text integer) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    level jsonb[] := ARRAY[doc];
    depth integer := 0;
BEGIN
    IF doc IS NULL THEN
        RETURN true;
    END IF;
    IF octet_length(doc::text) > max_bytes THEN
        RETURN false;
    END IF;
    WHILE cardinality(level) > 0 LOOP
        IF EXISTS (SELECT FROM unnest(level) AS v(node)
                   WHERE jsonb_typeof(node) = 'string' AND length(node #>> '{}') > max_text) THEN
            RETURN false;
        END IF;
        level := ARRAY(SELECT node FROM unnest(level) AS v(node)
                       WHERE jsonb_typeof(node) IN ('object', 'array'));
        IF cardinality(level) = 0 THEN
            RETURN true;
        END IF;
        depth := depth + 1;
        IF depth > max_depth THEN
            RETURN false;
        END IF;
        level := ARRAY(
            SELECT e.value FROM unnest(level) AS v(node),
                jsonb_each(CASE WHEN jsonb_typeof(node) = 'object' THEN node ELSE '{}' END) AS e
            UNION ALL
            SELECT a.value FROM unnest(level) AS v(node),
                jsonb_array_elements(CASE WHEN jsonb_typeof(node) = 'array' THEN node ELSE '[]'
                                     END) AS a);
    END LOOP;
    RETURN true;
END
$$;

ALTER TABLE attempts
    ADD CONSTRAINT attempts_ids_fit CHECK (
        learner_id ~ '^[A-Za-z0-9_-]{1,64}$' AND case_id ~ '^[a-z0-9][a-z0-9_-]{1,63}$'
        AND (working_diagnosis IS NULL OR working_diagnosis ~ '^[a-z0-9][a-z0-9_]{0,63}$')
        AND package_version ~ '^[A-Za-z0-9.+_-]{1,64}$'
        AND schema_version BETWEEN 1 AND 1000) NOT VALID,
    ADD CONSTRAINT attempts_actions_fit CHECK (
        dystonia_teach_json_fits(actions, 2, 20000, 64)
        AND NOT jsonb_path_exists(actions, '$[*] ? (@.type() != "string" && @.type() != "object")')
        AND NOT jsonb_path_exists(actions, '$[*] ? (@.type() == "object"
            && !(exists(@.step ? (@.type() == "string"))))'))
        NOT VALID,
    ADD CONSTRAINT attempts_pitfalls_fit CHECK (
        dystonia_teach_json_fits(pitfalls, 1, 10000, 64)
        AND NOT jsonb_path_exists(pitfalls, '$[*] ? (@.type() != "string")')) NOT VALID,
    ADD CONSTRAINT attempts_record_fits CHECK (
        record IS NULL OR (record ->> 'case_id' = case_id
                           AND jsonb_typeof(record -> 'visits') = 'array'
                           AND dystonia_teach_json_fits(record, 16, 200000, 20000))) NOT VALID;
ALTER TABLE attempts ALTER COLUMN learner_id SET DEFAULT dystonia_teach_learner_id();
DROP POLICY learner_own_rows ON attempts;
CREATE POLICY learner_own_rows ON attempts FOR ALL TO dystonia_teach_learner
    USING (learner_id = (SELECT dystonia_teach_learner_id()))
    WITH CHECK (learner_id = (SELECT dystonia_teach_learner_id()));
CREATE POLICY instructor_removes ON attempts FOR DELETE TO dystonia_teach_instructor
    USING (true);
REVOKE INSERT, UPDATE ON attempts FROM dystonia_teach_learner;
GRANT INSERT (learner_id, case_id, actions, working_diagnosis, score, pitfalls, schema_version,
              package_version, submission_key, record) ON attempts TO dystonia_teach_learner;
GRANT UPDATE (record) ON attempts TO dystonia_teach_learner;
GRANT DELETE ON attempts TO dystonia_teach_instructor;

ALTER TABLE drafts
    ADD CONSTRAINT drafts_fit CHECK (
        learner_id ~ '^[A-Za-z0-9_-]{1,64}$' AND case_id ~ '^[a-z0-9][a-z0-9_-]{1,63}$'
        AND record ->> 'case_id' = case_id AND jsonb_typeof(record -> 'visits') = 'array'
        AND dystonia_teach_json_fits(record, 16, 200000, 20000)) NOT VALID;
ALTER TABLE drafts ALTER COLUMN learner_id SET DEFAULT dystonia_teach_learner_id();
DROP POLICY learner_own_drafts ON drafts;
CREATE POLICY learner_own_drafts ON drafts FOR ALL TO dystonia_teach_learner
    USING (learner_id = (SELECT dystonia_teach_learner_id()))
    WITH CHECK (learner_id = (SELECT dystonia_teach_learner_id()));
CREATE FUNCTION dystonia_teach_draft_saved_now() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.saved_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER drafts_saved_now BEFORE INSERT OR UPDATE ON drafts
    FOR EACH ROW EXECUTE FUNCTION dystonia_teach_draft_saved_now();

ALTER TABLE grades DROP CONSTRAINT IF EXISTS grades_attempt_id_fkey;
ALTER TABLE grades ADD COLUMN case_digest text
    CHECK (case_digest IS NULL OR case_digest ~ '^[0-9a-f]{64}$');
GRANT DELETE ON grades TO dystonia_teach_instructor;

CREATE TABLE quarantine (
    attempt_id bigint PRIMARY KEY,
    learner_id text NOT NULL,
    case_id text NOT NULL,
    saved_row text NOT NULL,
    reason text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    quarantined_by text NOT NULL DEFAULT current_user
);
GRANT SELECT, INSERT ON quarantine TO dystonia_teach_instructor;
