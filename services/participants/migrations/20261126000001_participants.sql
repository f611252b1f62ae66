-- The replica of the scheduling service's conferences (its posts and
-- organizations are doithoai-directory's), and the participants' own
-- records. Names and phones live only in `participants`; identity numbers
-- are never stored, only a keyed hash.

CREATE TABLE conferences (
    id                   uuid        PRIMARY KEY,
    unit_path            text[]      NOT NULL,
    state                text        NOT NULL,
    starts_at            timestamptz NOT NULL,
    host_position_id     uuid        NOT NULL,
    delegate_position_id uuid,
    secretary_subject    text        NOT NULL DEFAULT '',
    agenda_items         integer     NOT NULL DEFAULT 0,
    version              integer     NOT NULL
);

CREATE TABLE participants (
    id                  uuid        PRIMARY KEY,
    conference_id       uuid        NOT NULL REFERENCES conferences (id),
    collective          boolean     NOT NULL,
    full_name           text        NOT NULL,
    representative_name text,
    phone               text,
    unit_code           text        NOT NULL,
    -- Keyed hash of the identity number (or of name, unit and phone without
    -- one): registering twice is refused without keeping the number.
    identity_key        bytea       NOT NULL,
    status              text        NOT NULL,
    registered_at       timestamptz NOT NULL DEFAULT now(),
    registered_by       text        NOT NULL,
    UNIQUE (conference_id, identity_key)
);

-- The next queue position of each conference; its row lock orders
-- concurrent registrations by commit, without gaps.
CREATE TABLE queues (
    conference_id uuid    PRIMARY KEY REFERENCES conferences (id),
    last_position integer NOT NULL
);

CREATE TABLE speakers (
    id             uuid        PRIMARY KEY,
    conference_id  uuid        NOT NULL REFERENCES conferences (id),
    participant_id uuid        NOT NULL REFERENCES participants (id),
    position       integer     NOT NULL,
    topic          text        NOT NULL,
    field          text        NOT NULL,
    status         text        NOT NULL,
    note           text        NOT NULL DEFAULT '',
    merged_into    uuid REFERENCES speakers (id),
    registered_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (conference_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE refusals (
    id             uuid        PRIMARY KEY,
    conference_id  uuid        NOT NULL REFERENCES conferences (id),
    participant_id uuid        NOT NULL REFERENCES participants (id),
    reason         text        NOT NULL,
    note           text        NOT NULL,
    refused_by     text        NOT NULL,
    refused_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE invitations (
    id                   uuid      PRIMARY KEY,
    conference_id        uuid      NOT NULL REFERENCES conferences (id),
    organization_id      uuid REFERENCES organizations (id),
    invitee_name         text      NOT NULL,
    invitee_title        text      NOT NULL,
    answers_agenda_items integer[] NOT NULL DEFAULT '{}',
    status               text      NOT NULL
);
