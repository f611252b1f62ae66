-- The identity of the client certificate a change came with (mutual TLS:
-- another service, an agency's system), beside the token's subject (actor).
ALTER TABLE audit_log ADD COLUMN peer text;
