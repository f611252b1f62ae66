-- An adjustable clock's offset from the system clock (rehearsals, the
-- demonstration year), so that a restarted service comes back on the time
-- its peers keep. One row at most; never used with the system clock.
CREATE TABLE clock_offset (
    only_row       boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    offset_micros  bigint      NOT NULL,
    set_by         text        NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now()
);
