-- What the documents print: a post's body, title and holder, an office's
-- or agency's head. Kept from the same events; a replica made before this
-- migration fills them at the next change of each post or organization.
ALTER TABLE positions
    ADD COLUMN IF NOT EXISTS body        text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS title       text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS person_name text NOT NULL DEFAULT '';
ALTER TABLE organizations
    ADD COLUMN IF NOT EXISTS kind       text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS head_title text NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS head_name  text NOT NULL DEFAULT '';
