-- A PATCH bumps its import's version: answers computed from an import can be cached by (import, version).
ALTER TABLE imports ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
