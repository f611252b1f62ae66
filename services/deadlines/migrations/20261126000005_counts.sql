-- Summaries over tens of millions of obligations read these counts, kept in
-- step with every obligation by a trigger, instead of scanning the rows:
-- per unit (the last code of the path), kind, state and month of the due date,
-- and a histogram of working days to meet.
CREATE TABLE obligation_counts (
    unit_code text    NOT NULL,
    kind      text    NOT NULL,
    state     text    NOT NULL,
    due_month date    NOT NULL,
    count     bigint  NOT NULL,
    PRIMARY KEY (unit_code, kind, state, due_month)
);

CREATE TABLE met_days_histogram (
    unit_code text    NOT NULL,
    kind      text    NOT NULL,
    days      integer NOT NULL,
    count     bigint  NOT NULL,
    PRIMARY KEY (unit_code, kind, days)
);

CREATE FUNCTION obligation_counts_apply(path text[], k text, s text, due date, met integer, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO obligation_counts AS c (unit_code, kind, state, due_month, count)
    VALUES (path[cardinality(path)], k, s, date_trunc('month', due)::date, delta)
    ON CONFLICT (unit_code, kind, state, due_month) DO UPDATE SET count = c.count + delta;
    IF met IS NOT NULL THEN
        INSERT INTO met_days_histogram AS h (unit_code, kind, days, count)
        VALUES (path[cardinality(path)], k, met, delta)
        ON CONFLICT (unit_code, kind, days) DO UPDATE SET count = h.count + delta;
    END IF;
END $$;

CREATE FUNCTION obligation_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM obligation_counts_apply(OLD.unit_path, OLD.kind, OLD.state, OLD.due_date, OLD.met_after_working_days, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM obligation_counts_apply(NEW.unit_path, NEW.kind, NEW.state, NEW.due_date, NEW.met_after_working_days, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER obligation_counts_follow AFTER INSERT OR DELETE OR UPDATE OF state, due_date, met_after_working_days, unit_path
    ON obligations FOR EACH ROW EXECUTE FUNCTION obligation_counts_follow();
