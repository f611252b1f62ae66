-- Who leads an office or agency and signs its documents (the conclusion
-- notice is signed "TL. NGƯỜI CHỦ TRÌ" by the head of the host's office).
ALTER TABLE organizations
    ADD COLUMN head_title text NOT NULL DEFAULT '',
    ADD COLUMN head_name  text NOT NULL DEFAULT '';
