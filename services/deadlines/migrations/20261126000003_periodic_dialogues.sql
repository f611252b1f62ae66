-- R6.2, R6.3: every head holds a periodic dialogue each year. The heads come
-- from the scheduling service's PositionUpserted events.
CREATE TABLE heads (
    position_id     uuid   PRIMARY KEY,
    unit_code       text   NOT NULL,
    unit_path       text[] NOT NULL,
    term_start      date   NOT NULL,
    term_end        date,
    source_event_id uuid   NOT NULL
);

ALTER TABLE obligations ADD COLUMN head_position_id uuid;
CREATE INDEX obligations_head ON obligations (head_position_id) WHERE head_position_id IS NOT NULL;
