-- The transactional outbox (Events/): every change writes its event here in the same transaction as the change.
-- AUTOINCREMENT: ids are never reused, and SQLite's single writer makes them monotonic in commit order.
-- entity_key (import:7, dataset:name) is the Kafka message key. occurred_at and published_at are Unix
-- milliseconds; published_at is set by the Kafka relay once the broker acknowledged the event.
CREATE TABLE outbox_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    entity_key   TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    occurred_at  INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX outbox_events_unpublished ON outbox_events (id) WHERE published_at IS NULL;
