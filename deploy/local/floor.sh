# PostgreSQL's floor for a write, shared by deploy/local/measure-writes and
# deploy/local/measure-write-shapes: a petition's row and its outbox row
# inserted in one transaction, in a scratch database with the same keys.
# Source it; it defines functions only.

floor_pg=(-h 127.0.0.1 -U postgres)

# A fresh scratch database with the floor's two tables.
floor_database() { # name
  psql "${floor_pg[@]}" -d postgres -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
  psql "${floor_pg[@]}" -d "$1" -q <<'SQL'
CREATE TABLE petitions (id uuid PRIMARY KEY, conference_id uuid NOT NULL, unit_code text NOT NULL,
  document bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX petitions_conference ON petitions (conference_id, id);
CREATE TABLE outbox (seq bigserial PRIMARY KEY, event_id uuid UNIQUE NOT NULL, subject text NOT NULL,
  envelope bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
SQL
}

# pgbench's script of one floor transaction, over that many conferences.
floor_script() { # conferences
  cat <<SQL
\set c random(1, $1)
BEGIN;
INSERT INTO petitions (id, conference_id, unit_code, document)
  VALUES (gen_random_uuid(), ('00000000-0000-0000-0000-' || lpad(:c::text, 12, '0'))::uuid, '11950', convert_to(repeat('x', 300), 'UTF8'));
INSERT INTO outbox (event_id, subject, envelope)
  VALUES (gen_random_uuid(), 'doithoai.minutes.petition_recorded', convert_to(repeat('y', 400), 'UTF8'));
COMMIT;
SQL
}
