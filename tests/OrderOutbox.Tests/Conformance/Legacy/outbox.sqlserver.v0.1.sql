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
--   IX_<table>_due: filtered index of the due records (PENDING, FAILED) by next_attempt_at, so the claim reads
--         only rows that can be due, however much SENT history the table keeps. The claim's WHERE repeats the
--         filter with literals (a parameter would not match a filtered index); do not turn on FORCED
--         parameterization for this database, it would stop the claim from using the index.

SET XACT_ABORT ON;
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;

BEGIN TRANSACTION;

DECLARE @lock_result int;
EXEC @lock_result = sys.sp_getapplock
    @Resource = N'OrderOutbox.Schema.$(OutboxSchema).$(OutboxTable)',
    @LockMode = N'Exclusive',
    @LockOwner = N'Transaction',
    @LockTimeout = 60000;
IF @lock_result < 0
    THROW 51000, N'OrderOutbox: timed out waiting for the schema application lock.', 1;

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
        locked_by       nvarchar(256)      NULL,
        CONSTRAINT [PK_$(OutboxTable)] PRIMARY KEY CLUSTERED (seq),
        CONSTRAINT [UQ_$(OutboxTable)_id] UNIQUE NONCLUSTERED (id),
        CONSTRAINT [CK_$(OutboxTable)_status] CHECK (status IN ('PENDING', 'SENT', 'FAILED', 'DEAD_LETTER')),
        CONSTRAINT [CK_$(OutboxTable)_retry_count] CHECK (retry_count >= 0)
    );
END;

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

COMMIT TRANSACTION;
