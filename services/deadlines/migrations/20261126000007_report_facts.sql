-- What the 6-month and annual reports (R13.1, R11.3, R12.3) count, kept from
-- the scheduling and minutes services' events: conferences held, petitions
-- and what became of them at the conference.
CREATE TABLE conferences_held (
    id        uuid    PRIMARY KEY,
    unit_path text[]  NOT NULL,
    kind      text    NOT NULL,
    regime    text    NOT NULL,
    ended_on  date    NOT NULL
);
CREATE INDEX conferences_held_path ON conferences_held USING gin (unit_path);

CREATE TABLE petitions (
    id             uuid    PRIMARY KEY,
    conference_id  uuid    NOT NULL,
    unit_path      text[]  NOT NULL,
    field          text    NOT NULL,
    classification text    NOT NULL,
    -- RECORDED, ANSWERED (at the conference), REFERRED (R1.2) or ESCALATED (R10.4).
    outcome        text    NOT NULL DEFAULT 'RECORDED',
    recorded_on    date    NOT NULL,
    escalated_from uuid
);
CREATE INDEX petitions_path ON petitions USING gin (unit_path);
