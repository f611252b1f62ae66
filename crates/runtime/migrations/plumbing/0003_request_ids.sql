-- AIP-155 request ids: the first result of each caller's request, so that a
-- retry (after a timeout or UNAVAILABLE) returns it instead of doing the
-- change again. Written in the transaction of the change.
CREATE TABLE request_ids (
    subject        text        NOT NULL,
    rpc            text        NOT NULL,
    request_id     text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, rpc, request_id)
);
