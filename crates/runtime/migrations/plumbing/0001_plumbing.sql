-- Plumbing shared by every service: outbox, inbox, dead letters, audit log.

-- Events written in the business transaction; the relay publishes them to
-- JetStream in seq order and marks them published after the ack.
CREATE TABLE outbox (
    seq          bigserial   PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    subject      text        NOT NULL,
    aggregate_id text        NOT NULL,
    envelope     bytea       NOT NULL,
    traceparent  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('doithoai_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Ids of the events this service has handled: a redelivery finds its id here
-- and has no second effect.
CREATE TABLE inbox (
    event_id    uuid        PRIMARY KEY,
    stream      text        NOT NULL,
    subject     text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Events that kept failing, parked for an operator after a bounded number of deliveries.
CREATE TABLE dead_letters (
    id         bigserial   PRIMARY KEY,
    stream     text        NOT NULL,
    subject    text        NOT NULL,
    event_id   text,
    deliveries bigint      NOT NULL,
    error      text        NOT NULL,
    payload    bytea       NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now()
);

-- Who changed what, written in the same transaction as the change. Summaries
-- never hold citizens' personal data. The database refuses to change it.
CREATE TABLE audit_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    rpc         text        NOT NULL,
    record_type text        NOT NULL,
    record_id   text        NOT NULL,
    before      jsonb,
    after       jsonb,
    trace_id    text
);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
