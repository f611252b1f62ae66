-- The directory of administrative units. The tree comes from data and may
-- have two tiers or three; `path` holds the codes from the root down.
CREATE TABLE units (
    code         text        PRIMARY KEY,
    name         text        NOT NULL,
    tier         text        NOT NULL CHECK (tier IN ('province', 'district', 'commune')),
    parent_code  text        REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    kind         text        NOT NULL,
    path         text[]      NOT NULL,
    legacy_codes text[]      NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (path[cardinality(path)] = code)
);
CREATE INDEX units_parent ON units (parent_code, code);
CREATE INDEX units_path ON units USING gin (path);
