-- A unit's life (issue: the July 2025 reorganisation): since when it exists
-- (NULL: since before the records), until when (NULL: it still does), and
-- the units that succeeded it. A reorganisation ends units the day before
-- its effective date; their rows stay, with their paths, as history.
ALTER TABLE units ADD COLUMN valid_from date;
ALTER TABLE units ADD COLUMN valid_to date;
ALTER TABLE units ADD COLUMN successor_codes text[] NOT NULL DEFAULT '{}';

-- Each reorganisation applied, by its decision.
CREATE TABLE reorganisations (
    decision_number text        PRIMARY KEY,
    effective_date  date        NOT NULL,
    applied_by      text        NOT NULL,
    applied_at      timestamptz NOT NULL DEFAULT now(),
    created         integer     NOT NULL,
    continued       integer     NOT NULL,
    retired         integer     NOT NULL
);
