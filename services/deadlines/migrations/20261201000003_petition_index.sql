-- A petition's clocks, for its public status page (ListObligations by petition).
CREATE INDEX obligations_petition ON obligations (petition_id) WHERE petition_id IS NOT NULL;
