-- The replica of the scheduling service's posts (whose login subject hosts)
-- and organizations (which agency is active), for the services that act on
-- conferences: kept from PositionUpserted and OrganizationUpserted.
CREATE TABLE IF NOT EXISTS positions (
    id              uuid PRIMARY KEY,
    unit_code       text NOT NULL,
    subject         text,
    source_event_id uuid NOT NULL
);

CREATE TABLE IF NOT EXISTS organizations (
    id              uuid    PRIMARY KEY,
    unit_code       text    NOT NULL,
    name            text    NOT NULL,
    active          boolean NOT NULL,
    source_event_id uuid    NOT NULL
);
