-- How far the outbox has been purged (Events/OutboxPurge.cs): every event with an id up to purged_through is gone.
-- GET /events answers 410 to a client whose after lies below it, instead of silently skipping the purged events.
-- One row, always present.
CREATE TABLE outbox_horizon (
    only_row       INTEGER PRIMARY KEY CHECK (only_row = 1),
    purged_through INTEGER NOT NULL
);
INSERT INTO outbox_horizon (only_row, purged_through) VALUES (1, 0);
