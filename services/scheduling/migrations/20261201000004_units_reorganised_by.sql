-- The decision that last placed a unit (began, went on changed, or ended it).
-- A plain import of a list (an older one, say) leaves such a unit as the
-- reorganisation left it: only a later reorganisation changes it.
ALTER TABLE units ADD COLUMN reorganised_by text;

-- Where reorganisations already ran: every unit of the provinces they
-- touched (a unit that went on changed carries no life dates to tell it).
UPDATE units SET reorganised_by = (SELECT decision_number FROM reorganisations ORDER BY applied_at DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM reorganisations)
  AND path[1] IN (SELECT path[1] FROM units WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL
                  UNION SELECT s FROM units, unnest(successor_codes) s WHERE valid_to IS NOT NULL);
