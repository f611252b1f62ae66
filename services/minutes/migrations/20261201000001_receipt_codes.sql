-- Receipt codes: the code a citizen is handed for each petition, unique, and
-- found by the public status page. Petitions recorded before codes existed get
-- one now, from gen_random_uuid()'s random bytes (not bytes 6 and 8, which
-- carry a UUID's version and variant), in the column and in the stored
-- protobuf: field 17 (`receipt_code`, tag 0x8a 0x01, length 11) appended to
-- the message, as a later field is what a decoder keeps.
ALTER TABLE petitions ADD COLUMN receipt_code text;

UPDATE petitions p
SET receipt_code = g.code,
    document = p.document || '\x8a010b'::bytea || convert_to(g.code, 'UTF8')
FROM (
    SELECT p2.id,
           (SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.bytes, i) % 32 + 1, 1), '' ORDER BY n)
                   FILTER (WHERE n <= 5)
            || '-' ||
            string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.bytes, i) % 32 + 1, 1), '' ORDER BY n)
                   FILTER (WHERE n > 5)
            FROM unnest(ARRAY[0, 1, 2, 3, 4, 5, 10, 11, 12, 13]) WITH ORDINALITY AS b(i, n)) AS code
    FROM petitions p2,
         LATERAL (SELECT uuid_send(gen_random_uuid()) AS bytes WHERE p2.id IS NOT NULL) r
) g
WHERE g.id = p.id;

ALTER TABLE petitions ALTER COLUMN receipt_code SET NOT NULL;
CREATE UNIQUE INDEX petitions_receipt_code ON petitions (receipt_code);
