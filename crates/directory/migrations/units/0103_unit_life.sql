-- A unit's life: since when it exists (NULL: since before the records),
-- until when (NULL: it still does), and the units that succeeded it.
ALTER TABLE units ADD COLUMN valid_from date;
ALTER TABLE units ADD COLUMN valid_to date;
ALTER TABLE units ADD COLUMN successor_codes text[] NOT NULL DEFAULT '{}';
