-- OrderOutbox: the outbox table for SQL Server 2016 or later / Azure SQL (database compatibility level 130+,
-- for OPENJSON).
--
-- $(OutboxSchema) and $(OutboxTable) are sqlcmd variables (defaults: dbo, outbox_messages). Run by hand with
--   sqlcmd -I -S <server> -d <database> -v OutboxSchema=dbo OutboxTable=outbox_messages -i outbox.sqlserver.sql
-- (-I turns on QUOTED_IDENTIFIER, which filtered indexes need), or in SSMS in SQLCMD mode.
-- SqlServerOutboxStore.EnsureSchemaAsync runs this same script with the configured names. It is one batch,
-- idempotent (IF OBJECT_ID / IF NOT EXISTS) and serialised by an application lock, so running it twice, or from
-- several instances at once, is safe.
--
-- Design:
--   seq   bigint IDENTITY, the clustered primary key: ever-increasing, so inserts append at the end of the
--         clustered index (no page splits from random keys); the purge deletes in seq order.
--   id    uniqueidentifier, the message ID (UUIDv7), unique through a nonclustered index.
--   *_at  datetimeoffset(7): exact round trip of .NET DateTimeOffset; the store writes UTC.
--   status varchar(16) with a check constraint: PENDING, SENT, FAILED, DEAD_LETTER.
--   locked_by nvarchar(256) COLLATE Latin1_General_BIN2: lease tokens are compared exactly (binary), whatever the
--         database's collation; a case-insensitive one would let a token 'node/1' fence 'NODE/1'. An existing table
--         whose locked_by has another collation is converted in place (ALTER COLUMN, rows kept); SQL Server's
--         auto-created statistics on that column are dropped first (it re-creates them when needed).
--   IX_<table>_due: filtered index of the due records (PENDING, FAILED) by next_attempt_at, so the claim reads
--         only rows that can be due, however much SENT history the table keeps. The claim's WHERE repeats the
--         filter with literals (a parameter would not match a filtered index); do not turn on FORCED
--         parameterization for this database, it would stop the claim from using the index.
--   IX_<table>_sent: filtered index of the SENT records by sent_at, which the purge reads its batches from (at most
--         2,000 rows per statement, below the 5,000 locks at which SQL Server escalates to a table lock).
--
-- The application lock waits for @@LOCK_TIMEOUT milliseconds (EnsureSchemaAsync sets it below the command timeout,
-- so the lock's own error appears rather than a command timeout), or 60 seconds when the session has none.

SET XACT_ABORT ON;
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;

BEGIN TRANSACTION;

DECLARE @lock_timeout int = CASE WHEN @@LOCK_TIMEOUT < 0 THEN 60000 ELSE @@LOCK_TIMEOUT END;
DECLARE @lock_result int;
EXEC @lock_result = sys.sp_getapplock
    @Resource = N'OrderOutbox.Schema.$(OutboxSchema).$(OutboxTable)',
    @LockMode = N'Exclusive',
    @LockOwner = N'Transaction',
    @LockTimeout = @lock_timeout;
IF @lock_result < 0
    THROW 51000, N'OrderOutbox: gave up waiting for the schema application lock of $(OutboxSchema).$(OutboxTable): another session creating or converting the outbox table held it longer than the lock timeout. Run EnsureSchemaAsync again when it has finished.', 1;

IF SCHEMA_ID(N'$(OutboxSchema)') IS NULL
    EXEC (N'CREATE SCHEMA [$(OutboxSchema)]');

IF OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]', N'U') IS NULL
BEGIN
    CREATE TABLE [$(OutboxSchema)].[$(OutboxTable)] (
        seq             bigint IDENTITY(1, 1) NOT NULL,
        id              uniqueidentifier   NOT NULL,
        message_type    nvarchar(200)      NOT NULL,
        aggregate_id    nvarchar(450)      NULL,
        payload         nvarchar(max)      NOT NULL,
        headers         nvarchar(max)      NULL,
        status          varchar(16)        NOT NULL
            CONSTRAINT [DF_$(OutboxTable)_status] DEFAULT ('PENDING'),
        retry_count     int                NOT NULL
            CONSTRAINT [DF_$(OutboxTable)_retry_count] DEFAULT (0),
        next_attempt_at datetimeoffset(7)  NOT NULL,
        last_attempt_at datetimeoffset(7)  NULL,
        sent_at         datetimeoffset(7)  NULL,
        last_error      nvarchar(max)      NULL,
        created_at      datetimeoffset(7)  NOT NULL,
        locked_until    datetimeoffset(7)  NULL,
        locked_by       nvarchar(256)      COLLATE Latin1_General_BIN2 NULL,
        requeued_at     datetimeoffset(7)  NULL,
        CONSTRAINT [PK_$(OutboxTable)] PRIMARY KEY CLUSTERED (seq),
        CONSTRAINT [UQ_$(OutboxTable)_id] UNIQUE NONCLUSTERED (id),
        CONSTRAINT [CK_$(OutboxTable)_status] CHECK (status IN ('PENDING', 'SENT', 'FAILED', 'DEAD_LETTER')),
        CONSTRAINT [CK_$(OutboxTable)_retry_count] CHECK (retry_count >= 0)
    );
END;

IF EXISTS (SELECT 1 FROM sys.columns
           WHERE object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND name = N'locked_by'
             AND collation_name <> N'Latin1_General_BIN2')
BEGIN
    DECLARE @drop_statistics nvarchar(max) = N'';
    SELECT @drop_statistics = @drop_statistics
        + N'DROP STATISTICS [$(OutboxSchema)].[$(OutboxTable)].' + QUOTENAME(st.name) + N';'
    FROM sys.stats AS st
    INNER JOIN sys.stats_columns AS sc ON sc.object_id = st.object_id AND sc.stats_id = st.stats_id
    INNER JOIN sys.columns AS c ON c.object_id = sc.object_id AND c.column_id = sc.column_id
    WHERE st.object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND st.auto_created = 1 AND c.name = N'locked_by';
    IF @drop_statistics <> N''
        EXEC (@drop_statistics);
    ALTER TABLE [$(OutboxSchema)].[$(OutboxTable)] ALTER COLUMN locked_by nvarchar(256) COLLATE Latin1_General_BIN2 NULL;
END;

-- Added in 0.2: when an operator last requeued the record from DEAD_LETTER. A nullable column without a default is a
-- metadata-only change: a table made by the 0.1 script keeps its rows.
IF COL_LENGTH(N'[$(OutboxSchema)].[$(OutboxTable)]', N'requeued_at') IS NULL
    ALTER TABLE [$(OutboxSchema)].[$(OutboxTable)] ADD requeued_at datetimeoffset(7) NULL;

IF NOT EXISTS (SELECT 1 FROM sys.indexes
               WHERE object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND name = N'IX_$(OutboxTable)_due')
    CREATE NONCLUSTERED INDEX [IX_$(OutboxTable)_due]
        ON [$(OutboxSchema)].[$(OutboxTable)] (next_attempt_at)
        INCLUDE (locked_until)
        WHERE status IN ('PENDING', 'FAILED');

IF NOT EXISTS (SELECT 1 FROM sys.indexes
               WHERE object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND name = N'IX_$(OutboxTable)_dead_letter')
    CREATE NONCLUSTERED INDEX [IX_$(OutboxTable)_dead_letter]
        ON [$(OutboxSchema)].[$(OutboxTable)] (id)
        WHERE status = 'DEAD_LETTER';

IF NOT EXISTS (SELECT 1 FROM sys.indexes
               WHERE object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND name = N'IX_$(OutboxTable)_sent')
    CREATE NONCLUSTERED INDEX [IX_$(OutboxTable)_sent]
        ON [$(OutboxSchema)].[$(OutboxTable)] (sent_at)
        WHERE status = 'SENT';

-- Per-aggregate ordering (OutboxOptions.Ordering = PerAggregate): "is an earlier record of this aggregate unfinished?"
-- is one seek of this index. Filtered to unfinished rows and dead letters (which may hold an aggregate).
IF NOT EXISTS (SELECT 1 FROM sys.indexes
               WHERE object_id = OBJECT_ID(N'[$(OutboxSchema)].[$(OutboxTable)]') AND name = N'IX_$(OutboxTable)_aggregate')
    CREATE NONCLUSTERED INDEX [IX_$(OutboxTable)_aggregate]
        ON [$(OutboxSchema)].[$(OutboxTable)] (aggregate_id, seq)
        INCLUDE (status)
        WHERE aggregate_id IS NOT NULL AND status IN ('PENDING', 'FAILED', 'DEAD_LETTER');

COMMIT TRANSACTION;
