-- The replica of the scheduling service's conferences (its posts and
-- organizations are doithoai-directory's), and the minutes, petitions and
-- conclusion notices this service owns.

CREATE TABLE conferences (
    id                       uuid        PRIMARY KEY,
    unit_code                text        NOT NULL,
    unit_path                text[]      NOT NULL,
    state                    text        NOT NULL,
    host_position_id         uuid        NOT NULL,
    delegate_position_id     uuid,
    accountable_position_id  uuid        NOT NULL,
    secretary_subject        text        NOT NULL DEFAULT '',
    invited_organization_ids uuid[]      NOT NULL DEFAULT '{}',
    ended_at                 timestamptz,
    version                  integer     NOT NULL
);

-- The minutes aggregate (protobuf) per conference.
CREATE TABLE minutes (
    conference_id uuid        PRIMARY KEY REFERENCES conferences (id),
    state         text        NOT NULL,
    document      bytea       NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE petitions (
    id                       uuid        PRIMARY KEY,
    conference_id            uuid        NOT NULL REFERENCES conferences (id),
    unit_code                text        NOT NULL,
    unit_path                text[]      NOT NULL,
    status                   text        NOT NULL,
    assigned_organization_id uuid,
    escalated_from           uuid REFERENCES petitions (id),
    document                 bytea       NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petitions_conference ON petitions (conference_id, id);
CREATE INDEX petitions_path ON petitions USING gin (unit_path);

-- One conclusion notice per conference (R10.2).
CREATE TABLE notices (
    id            uuid        PRIMARY KEY,
    conference_id uuid        NOT NULL UNIQUE REFERENCES conferences (id),
    document      bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
