-- The conference as the scheduling service last published it, for the
-- documents this service renders (the R7.4 invitation: time, place, agenda).
ALTER TABLE conferences ADD COLUMN document bytea;
