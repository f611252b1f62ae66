-- R4.2: the units asked to coordinate a conference find it in their lists.
-- NULL until the service has read them out of the stored aggregate (at start).
ALTER TABLE conferences ADD COLUMN coordinating_units text[];
CREATE INDEX conferences_coordinating ON conferences USING gin (coordinating_units);
