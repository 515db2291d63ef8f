-- OrderOutbox: PostgreSQL schema (PostgreSQL 12 or later).
--
-- The store's EnsureSchemaAsync runs this script with the placeholders replaced by validated, double-quoted
-- identifiers; a DBA can run it by hand after replacing them the same way. With the defaults:
--   {{schema}}          "public"
--   {{table}}           "outbox_messages"
--   {{due_index}}       "outbox_messages_due_idx"
--   {{dead_index}}      "outbox_messages_dead_letter_idx"
--   {{sent_index}}      "outbox_messages_sent_idx"
--   {{aggregate_index}} "outbox_messages_aggregate_idx"
--   {{fillfactor}}      50 (PostgreSqlOutboxOptions.FillFactor, 10 to 100)
-- Every statement is idempotent (IF NOT EXISTS). The payload is text, not jsonb: it is sent byte for byte as stored.

CREATE TABLE IF NOT EXISTS {{schema}}.{{table}} (
    id              uuid         NOT NULL PRIMARY KEY,
    message_type    text         NOT NULL,
    aggregate_id    text         NULL,
    payload         text         NOT NULL,
    headers         text         NULL,
    status          text         NOT NULL DEFAULT 'PENDING'
                                 CHECK (status IN ('PENDING', 'SENT', 'FAILED', 'DEAD_LETTER')),
    retry_count     integer      NOT NULL DEFAULT 0,
    next_attempt_at timestamptz  NOT NULL,
    last_attempt_at timestamptz  NULL,
    sent_at         timestamptz  NULL,
    last_error      text         NULL,
    created_at      timestamptz  NOT NULL,
    locked_until    timestamptz  NULL,
    locked_by       text         NULL,
    requeued_at     timestamptz  NULL
) WITH (fillfactor = {{fillfactor}}, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Added in 0.3: the storage parameters, applied to tables made by earlier scripts too (rows kept; no rewrite: the
-- fillfactor governs the pages written from now on). The free space the fillfactor leaves on each page lets the
-- claim's lease UPDATE (locked_by/locked_until only, no indexed column) be a HOT update: a new row version on the same
-- page and no index entries. The autovacuum scale factors make vacuum follow the dead versions of a table that keeps a
-- long SENT history (the default 0.2 waits for a fifth of the history to be dead), so the due index stays small.
ALTER TABLE {{schema}}.{{table}} SET (fillfactor = {{fillfactor}}, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Added in 0.2: when an operator last requeued the record from DEAD_LETTER. Adding a nullable column without a
-- default is a catalog-only change (no table rewrite, rows kept), so this migrates tables made by the 0.1 script.
ALTER TABLE {{schema}}.{{table}} ADD COLUMN IF NOT EXISTS requeued_at timestamptz NULL;

-- The hot query: due records by due time. Partial, so it holds only PENDING/FAILED rows however long the history.
CREATE INDEX IF NOT EXISTS {{due_index}}
    ON {{schema}}.{{table}} (next_attempt_at)
    WHERE status IN ('PENDING', 'FAILED');

-- Dead-letter listing (keyset by id) and requeue: small, since dead letters are rare.
CREATE INDEX IF NOT EXISTS {{dead_index}}
    ON {{schema}}.{{table}} (id)
    WHERE status = 'DEAD_LETTER';

-- Purge of SENT history in bounded batches by delivery time.
CREATE INDEX IF NOT EXISTS {{sent_index}}
    ON {{schema}}.{{table}} (sent_at)
    WHERE status = 'SENT';

-- Per-aggregate ordering (OutboxOptions.Ordering = PerAggregate): "is an earlier record of this aggregate unfinished?"
-- is one probe of this index. Partial, so it holds only unfinished rows (and dead letters, which may hold an aggregate).
CREATE INDEX IF NOT EXISTS {{aggregate_index}}
    ON {{schema}}.{{table}} (aggregate_id, id)
    WHERE aggregate_id IS NOT NULL AND status IN ('PENDING', 'FAILED', 'DEAD_LETTER');
