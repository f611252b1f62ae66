-- Working days from the clock's start to meeting it, fixed when met, for
-- summaries that percentile over millions of rows without a calendar.
ALTER TABLE obligations ADD COLUMN met_after_working_days integer;
CREATE INDEX obligations_organization ON obligations (organization_id, state) WHERE organization_id IS NOT NULL;

-- Announcements loaded after the build (a late government decision): each
-- makes a new calendar revision, rebuilt at start-up.
CREATE TABLE calendar_announcements (
    id        bigserial   PRIMARY KEY,
    toml      text        NOT NULL,
    revision  text        NOT NULL,
    loaded_by text        NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);
