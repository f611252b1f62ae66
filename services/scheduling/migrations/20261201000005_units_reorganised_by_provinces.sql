-- Where reorganisations ran before units.reorganised_by was kept, the first
-- backfill marked the units that began or ended, not those that went on
-- changed (they carry no life dates): mark every unit of the provinces a
-- reorganisation touched, so that a plain import leaves them all alone.
UPDATE units SET reorganised_by = (SELECT decision_number FROM reorganisations ORDER BY applied_at DESC LIMIT 1)
WHERE reorganised_by IS NULL
  AND EXISTS (SELECT 1 FROM reorganisations)
  AND path[1] IN (SELECT path[1] FROM units WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL
                  UNION SELECT s FROM units, unnest(successor_codes) s WHERE valid_to IS NOT NULL);
