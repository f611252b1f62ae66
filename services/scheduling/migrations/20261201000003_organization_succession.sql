-- An agency's succession (SucceedOrganization): the agency that took over its
-- work, its last day and the decision. Agencies are not in the GSO list, so a
-- reorganisation names their successors here.
ALTER TABLE organizations ADD COLUMN successor_id uuid REFERENCES organizations (id);
ALTER TABLE organizations ADD COLUMN ended_on date;
ALTER TABLE organizations ADD COLUMN decision_number text;
