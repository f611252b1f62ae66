-- The keyed hash of name, unit and phone, kept beside the identity number's:
-- the same person registering once with the number and once without is
-- still refused as registered twice. NULL without a phone (a name alone does
-- not tell two people apart).
ALTER TABLE participants ADD COLUMN person_key bytea;
CREATE UNIQUE INDEX participants_person_key ON participants (conference_id, person_key) WHERE person_key IS NOT NULL;
