-- A PATCH bumps its import's version: answers computed from an import can be cached by (import, version).
ALTER TABLE imports ADD COLUMN version bigint NOT NULL DEFAULT 0;
