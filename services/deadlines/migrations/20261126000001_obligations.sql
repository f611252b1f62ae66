-- Legal obligations with their due dates (R10.2, R10.3, R10.4). The state is
-- derived from the dates and facts by the sweeper and frozen when closed.
CREATE TABLE obligations (
    id                uuid        PRIMARY KEY,
    -- What the obligation is about, so a redelivered or repeated event finds it.
    key               text        NOT NULL UNIQUE,
    kind              text        NOT NULL,
    rule              text        NOT NULL,
    unit_path         text[]      NOT NULL,
    conference_id     uuid,
    petition_id       uuid,
    organization_id   uuid,
    anchor_date       date        NOT NULL,
    anchor            text        NOT NULL,
    working_days      integer     NOT NULL,
    due_date          date        NOT NULL,
    calendar_revision text        NOT NULL,
    explanation       text[]      NOT NULL,
    state             text        NOT NULL,
    met_on            date,
    cancel_reason     text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The sweep reads only open obligations, by due date.
CREATE INDEX obligations_open_by_due ON obligations (due_date)
    WHERE state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE');
CREATE INDEX obligations_path ON obligations USING gin (unit_path);
CREATE INDEX obligations_conference ON obligations (conference_id);
