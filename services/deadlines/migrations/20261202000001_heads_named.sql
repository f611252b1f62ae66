-- Who signs a unit's report for its body (R13.1): each head's body, title
-- and name, kept from the same PositionUpserted events. A head heard before
-- this migration is named at the next change of its post.
ALTER TABLE heads
    ADD COLUMN body        text NOT NULL DEFAULT '',
    ADD COLUMN title       text NOT NULL DEFAULT '',
    ADD COLUMN person_name text NOT NULL DEFAULT '';
