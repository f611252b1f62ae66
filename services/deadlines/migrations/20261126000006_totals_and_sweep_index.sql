-- Measured at national scale (docs/scale.md): subtree summaries without a
-- date range read per-unit totals instead of monthly counts, and the sweep
-- scans only the obligations whose state can still change.
CREATE TABLE obligation_totals (
    unit_code text   NOT NULL,
    kind      text   NOT NULL,
    state     text   NOT NULL,
    count     bigint NOT NULL,
    PRIMARY KEY (unit_code, kind, state)
);

INSERT INTO obligation_totals (unit_code, kind, state, count)
SELECT unit_code, kind, state, sum(count) FROM obligation_counts GROUP BY 1, 2, 3;

CREATE OR REPLACE FUNCTION obligation_counts_apply(path text[], k text, s text, due date, met integer, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO obligation_counts AS c (unit_code, kind, state, due_month, count)
    VALUES (path[cardinality(path)], k, s, date_trunc('month', due)::date, delta)
    ON CONFLICT (unit_code, kind, state, due_month) DO UPDATE SET count = c.count + delta;
    INSERT INTO obligation_totals AS t (unit_code, kind, state, count)
    VALUES (path[cardinality(path)], k, s, delta)
    ON CONFLICT (unit_code, kind, state) DO UPDATE SET count = t.count + delta;
    IF met IS NOT NULL THEN
        INSERT INTO met_days_histogram AS h (unit_code, kind, days, count)
        VALUES (path[cardinality(path)], k, met, delta)
        ON CONFLICT (unit_code, kind, days) DO UPDATE SET count = h.count + delta;
    END IF;
END $$;

CREATE INDEX obligations_changeable ON obligations (due_date)
    WHERE state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON');
