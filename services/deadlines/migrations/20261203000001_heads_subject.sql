-- The head's login subject, from the same PositionUpserted events, so that a
-- head may file their own R13.1 report. A head heard before this migration
-- files through the office until the next change of its post.
ALTER TABLE heads ADD COLUMN subject text NOT NULL DEFAULT '';
