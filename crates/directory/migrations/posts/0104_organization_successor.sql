-- The agency that took over an ended agency's work (SucceedOrganization), so
-- that the successor acknowledges and answers what was assigned to it.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS successor_id uuid;
