-- A NOTIFY takes a database-wide lock at commit, held through the commit's
-- flush: every writing transaction queued behind the one before, and lost
-- group commit. While the relay is reading the outbox anyway it says so
-- here, and writers skip the NOTIFY. Each writer holds a shared lock on the
-- outbox's key (the second below) until it ends; the relay, before it stops
-- reading, waits for every writer that saw it reading (taking that key
-- exclusively once), then reads once more, so that no event waits for the
-- poll. Unlogged: after a crash the row is gone, and writers notify.
CREATE UNLOGGED TABLE relay_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    reading  boolean NOT NULL
);

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM added) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(14299892285442);  -- 0x0d01_7400_0002, the relay's WRITERS_LOCK
    IF NOT coalesce((SELECT reading FROM relay_state), false) THEN
        PERFORM pg_notify('doithoai_outbox', '');
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER outbox_notify ON outbox;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
