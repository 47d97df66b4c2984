DROP TABLE outbox_horizon;
