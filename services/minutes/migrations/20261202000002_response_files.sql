-- R10.3: the agency's written response as it attached it, kept apart from
-- the petition's document so that reading petitions never carries files.
CREATE TABLE response_files (
    petition_id uuid        PRIMARY KEY REFERENCES petitions (id),
    file_name   text        NOT NULL,
    content     bytea       NOT NULL,
    sha256      text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
