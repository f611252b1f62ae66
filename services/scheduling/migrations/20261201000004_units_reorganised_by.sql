-- The decision that last placed a unit (began, went on changed, or ended it).
-- A plain import of a list (an older one, say) leaves such a unit as the
-- reorganisation left it: only a later reorganisation changes it.
ALTER TABLE units ADD COLUMN reorganised_by text;

UPDATE units SET reorganised_by = (SELECT decision_number FROM reorganisations ORDER BY applied_at DESC LIMIT 1)
WHERE valid_from IS NOT NULL OR valid_to IS NOT NULL;
