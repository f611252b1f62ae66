-- This service's replica of the unit directory, kept from UnitUpserted events.
CREATE TABLE units (
    code            text        PRIMARY KEY,
    name            text        NOT NULL,
    tier            text        NOT NULL CHECK (tier IN ('province', 'district', 'commune')),
    parent_code     text,
    kind            text        NOT NULL,
    path            text[]      NOT NULL,
    legacy_codes    text[]      NOT NULL DEFAULT '{}',
    -- The newest event applied; an older one arriving late is ignored.
    source_event_id uuid        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent ON units (parent_code, code);
CREATE INDEX units_path ON units USING gin (path);
