-- The furthest state a transition was published for (DUE_SOON, OVERDUE), so
-- that an obligation whose due date moves (a later receipt, a new calendar
-- revision) and comes back to a state it had is not announced twice.
ALTER TABLE obligations ADD COLUMN announced_state text NOT NULL DEFAULT 'OBLIGATION_STATE_OPEN';
UPDATE obligations SET announced_state = state WHERE state IN ('OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE');
