-- Posts (heads and deputies with their terms), offices and agencies,
-- conferences and annual plans.

CREATE TABLE positions (
    id          uuid        PRIMARY KEY,
    unit_code   text        NOT NULL REFERENCES units (code),
    body        text        NOT NULL,
    rank        text        NOT NULL,
    title       text        NOT NULL,
    person_name text        NOT NULL,
    subject     text,
    term_start  date        NOT NULL,
    term_end    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (term_end IS NULL OR term_end >= term_start)
);
CREATE INDEX positions_unit ON positions (unit_code, body, rank);

CREATE TABLE organizations (
    id         uuid        PRIMARY KEY,
    unit_code  text        NOT NULL REFERENCES units (code),
    kind       text        NOT NULL,
    name       text        NOT NULL,
    active     boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (unit_code, name)
);

-- The conference aggregate is stored whole (protobuf); the columns beside it
-- are what queries filter on.
CREATE TABLE conferences (
    id                      uuid        PRIMARY KEY,
    unit_code               text        NOT NULL REFERENCES units (code),
    unit_path               text[]      NOT NULL,
    state                   text        NOT NULL,
    regime                  text        NOT NULL,
    starts_at               timestamptz NOT NULL,
    ended_at                timestamptz,
    accountable_position_id uuid        NOT NULL REFERENCES positions (id),
    document                bytea       NOT NULL,
    version                 integer     NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conferences_path ON conferences USING gin (unit_path);
CREATE INDEX conferences_starts ON conferences (starts_at, id);

CREATE TABLE annual_plans (
    unit_code  text        NOT NULL REFERENCES units (code),
    year       integer     NOT NULL,
    document   bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, year)
);
