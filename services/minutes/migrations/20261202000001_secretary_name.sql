-- The secretary's name as the scheduling service keeps it (AssignSecretary),
-- for the signature on the minutes.
ALTER TABLE conferences ADD COLUMN secretary_name text NOT NULL DEFAULT '';
