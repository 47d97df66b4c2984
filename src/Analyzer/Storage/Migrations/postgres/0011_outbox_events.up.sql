-- The transactional outbox (Events/): every change writes its event here in the same transaction as the change.
-- id is monotonic in commit order: writers take the outbox's transaction-level advisory lock before they insert
-- (Events/Outbox.cs), so an event never becomes visible after one with a higher id. entity_key (import:7,
-- dataset:name) is the Kafka message key. occurred_at and published_at are Unix milliseconds; published_at is set
-- by the Kafka relay once the broker acknowledged the event (null: not published yet, or no relay configured).
CREATE TABLE outbox_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type         text   NOT NULL,
    subject      text   NOT NULL,
    entity_key   text   NOT NULL,
    data         text   NOT NULL,
    occurred_at  bigint NOT NULL,
    published_at bigint
);
CREATE INDEX outbox_events_unpublished ON outbox_events (id) WHERE published_at IS NULL;
