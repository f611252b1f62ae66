-- Why an obligation moved (a reorganisation, an agency's succession) is kept
-- apart from the calendar's explanation of its due date, which a receipt or a
-- calendar change recomputes: the moves stay when it does.
ALTER TABLE obligations ADD COLUMN moves text[] NOT NULL DEFAULT '{}';

UPDATE obligations
SET moves = ARRAY(SELECT line FROM unnest(explanation) line WHERE line LIKE 'moved to %' OR line ~ '^unit \S+ is under '),
    explanation = ARRAY(SELECT line FROM unnest(explanation) line
                        WHERE NOT (line LIKE 'moved to %' OR line ~ '^unit \S+ is under '))
WHERE EXISTS (SELECT 1 FROM unnest(explanation) line WHERE line LIKE 'moved to %' OR line ~ '^unit \S+ is under ');
