-- A request id is taken at the start of its change and its result kept at
-- the end, in the same transaction: NULL until then (never seen committed).
ALTER TABLE request_ids ALTER COLUMN response DROP NOT NULL;
