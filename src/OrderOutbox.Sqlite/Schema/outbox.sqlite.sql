-- OrderOutbox: the outbox table for SQLite (3.35 or later, for UPDATE ... RETURNING).
--
-- Replace $(OutboxTable) with your table name (default outbox_messages) before running it by hand,
-- for example:  sed 's/\$(OutboxTable)/outbox_messages/g' outbox.sqlite.sql | sqlite3 app.db
-- SqliteOutboxStore.EnsureSchemaAsync runs this same script with the configured name; every statement
-- is idempotent, so running it twice (or from two processes at once) is safe.
--
-- Storage choices:
--   id          TEXT, the canonical lower-case UUID ('0196f3c2-...'): readable, and text order = UUIDv7 time order.
--   *_at        INTEGER, UTC .NET ticks (100 ns since 0001-01-01): exact round trip of DateTimeOffset and exact,
--               indexable comparisons. To read one as a date:
--               datetime(next_attempt_at / 10000000 - 62135596800, 'unixepoch')
--   rowid       the implicit ever-increasing row key (the table is a rowid table, not WITHOUT ROWID, because
--               payloads are large).

-- Write-ahead logging: readers do not block the writer and the writer does not block readers.
-- The mode is stored in the database file, so setting it once is enough.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS "$(OutboxTable)" (
    id              TEXT    NOT NULL PRIMARY KEY,
    message_type    TEXT    NOT NULL,
    aggregate_id    TEXT    NULL,
    payload         TEXT    NOT NULL,
    headers         TEXT    NULL,
    status          TEXT    NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'SENT', 'FAILED', 'DEAD_LETTER')),
    retry_count     INTEGER NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER NULL,
    sent_at         INTEGER NULL,
    last_error      TEXT    NULL,
    created_at      INTEGER NOT NULL,
    locked_until    INTEGER NULL,
    locked_by       TEXT    NULL,
    requeued_at     INTEGER NULL
);
-- requeued_at was added in 0.2 (when an operator last requeued the record from DEAD_LETTER). SQLite has no
-- ADD COLUMN IF NOT EXISTS: EnsureSchemaAsync adds it to a table made by the 0.1 script after this script ran
-- (ALTER TABLE "$(OutboxTable)" ADD COLUMN requeued_at INTEGER NULL; rows are kept). By hand: run that once.

-- The hot query: due records by next_attempt_at. Only PENDING and FAILED rows are in it, so it stays small
-- however much SENT history the table keeps. The claim repeats this WHERE clause word for word, which is
-- what lets SQLite use a partial index.
CREATE INDEX IF NOT EXISTS "ix_$(OutboxTable)_due"
    ON "$(OutboxTable)" (next_attempt_at, locked_until)
    WHERE status IN ('PENDING', 'FAILED');

-- Dead letters in ID order, for the admin listing and requeue.
CREATE INDEX IF NOT EXISTS "ix_$(OutboxTable)_dead_letter"
    ON "$(OutboxTable)" (id)
    WHERE status = 'DEAD_LETTER';

-- Purge of SENT history in bounded batches (at most 2,000 rows per statement), oldest delivery first.
CREATE INDEX IF NOT EXISTS "ix_$(OutboxTable)_sent"
    ON "$(OutboxTable)" (sent_at)
    WHERE status = 'SENT';

-- Per-aggregate ordering (OutboxOptions.Ordering = PerAggregate): "is an earlier record of this aggregate unfinished?"
-- is one probe of this index. Only unfinished rows and dead letters (which may hold an aggregate) are in it.
CREATE INDEX IF NOT EXISTS "ix_$(OutboxTable)_aggregate"
    ON "$(OutboxTable)" (aggregate_id, id)
    WHERE aggregate_id IS NOT NULL AND status IN ('PENDING', 'FAILED', 'DEAD_LETTER');
