using System.Data.Common;
using OrderOutbox.Storage;

namespace OrderOutbox.Tests.Support;

/// <summary>
/// A thread-safe in-memory <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/> for the core's unit tests and the
/// engine model test. It passes the storage conformance suite like the real stores: atomic leased claims (oldest due
/// first), outcome and release writes fenced by the exact claim token, a success keeping the last error for history,
/// the same entry rules and control-character escaping as the SQL stores, times always from the caller, and enqueues that become visible only when the caller's transaction
/// (a <see cref="FakeDbTransaction"/>) commits. Hooks let tests inject failures and observe calls.
/// </summary>
internal sealed class InMemoryOutboxStore : IOutboxStore, IOutboxAdmin
{
    private readonly InMemoryOutboxDatabase _database;
    private readonly string _tableName;
    private readonly TimeProvider _time;
    private readonly object _hooksGate = new();
    private int _failedClaims;

    /// <summary>A store over its own private table, which exists from the start.</summary>
    public InMemoryOutboxStore(TimeProvider? time = null)
        : this(new InMemoryOutboxOptions(), new InMemoryOutboxDatabase(), time)
    {
        _database.Ensure(_tableName);
    }

    /// <summary>A store over the table <paramref name="options"/> name in <paramref name="database"/> (created by <see cref="EnsureSchemaAsync"/>).</summary>
    /// <exception cref="ArgumentException">The table or schema name is not a valid SQL identifier.</exception>
    public InMemoryOutboxStore(InMemoryOutboxOptions options, InMemoryOutboxDatabase database, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string table = SqlIdentifier.Validate(options.TableName, "InMemoryOutboxOptions.TableName");
        string? schema = options.Schema is null ? null : SqlIdentifier.Validate(options.Schema, "InMemoryOutboxOptions.Schema");
        _tableName = schema is null ? table : schema + "." + table;
        _database = database;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Thrown by the next <see cref="ClaimAsync"/> calls while it returns an exception.</summary>
    public Func<Exception?>? ClaimFailure { get; set; }

    /// <summary>Thrown by <see cref="CompleteAsync"/> while it returns an exception.</summary>
    public Func<Exception?>? CompleteFailure { get; set; }

    /// <summary>Awaited at the start of every <see cref="CompleteAsync"/> (to hold writes back).</summary>
    public Func<Task>? BeforeComplete { get; set; }

    /// <summary>Awaited at the start of every <see cref="ClaimAsync"/> (to hold claims back).</summary>
    public Func<Task>? BeforeClaim { get; set; }

    public List<string> ClaimTokens { get; } = [];

    public List<int> CompleteBatchSizes { get; } = [];

    public List<OutboxMessage> Released { get; } = [];

    public int ClaimCalls { get { lock (_hooksGate) { return ClaimTokens.Count + _failedClaims; } } }

    public int PurgeCalls { get; private set; }

    public DateTimeOffset? LastPurgeSentBefore { get; private set; }

    /// <summary>Signalled after each claim (successful or not).</summary>
    public event Action? Claimed;

    private InMemoryOutboxTable Table => _database.Get(_tableName);

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The transaction is not a <see cref="FakeDbTransaction"/>, or its connection is not open.</exception>
    public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(entry);
        OutboxEntryRules.Validate(entry, nameof(entry));
        FakeDbTransaction fake = StoreTransaction.Require<FakeDbTransaction>(transaction, "in-memory");
        InMemoryOutboxTable table = Table;
        List<OutboxEntry> pending = fake.Pending<OutboxEntry>(table, entries => Insert(table, entries));
        lock (table.Gate)
        {
            if (table.Rows.ContainsKey(entry.Id) || pending.Exists(e => e.Id == entry.Id))
            {
                throw new InvalidOperationException($"duplicate key: a record with ID {entry.Id} already exists");
            }
        }

        pending.Add(entry);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Every entry is checked (rules, duplicate IDs) before any joins the transaction's pending records.</remarks>
    public Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        OutboxEntryRules.ValidateBatch(entries, nameof(entries));
        FakeDbTransaction fake = StoreTransaction.Require<FakeDbTransaction>(transaction, "in-memory");
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        InMemoryOutboxTable table = Table;
        List<OutboxEntry> pending = fake.Pending<OutboxEntry>(table, rows => Insert(table, rows));
        lock (table.Gate)
        {
            var seen = new HashSet<Guid>(pending.Select(e => e.Id));
            foreach (OutboxEntry entry in entries)
            {
                if (table.Rows.ContainsKey(entry.Id) || !seen.Add(entry.Id))
                {
                    throw new InvalidOperationException($"duplicate key: a record with ID {entry.Id} already exists");
                }
            }
        }

        pending.AddRange(entries);
        return Task.CompletedTask;
    }

    /// <summary>Whether an earlier record (by ID text order = UUIDv7 order) of <paramref name="row"/>'s aggregate is unfinished.</summary>
    private static bool HasEarlierUnfinished(InMemoryOutboxTable table, InMemoryOutboxRow row, ClaimOrdering ordering)
        => row.AggregateId is { } aggregate
           && table.Rows.Values.Any(e => e.AggregateId == aggregate
               && string.CompareOrdinal(e.Id.ToString(), row.Id.ToString()) < 0
               && (e.Status is OutboxStatus.Pending or OutboxStatus.Failed
                   || (e.Status == OutboxStatus.DeadLetter && ordering == ClaimOrdering.PerAggregate)));

    /// <summary>Inserts a record as <c>PENDING</c>, due at its creation time, as if enqueued and committed.</summary>
    public void Add(OutboxEntry entry) => Insert(Table, [entry]);

    /// <summary>Adds <paramref name="count"/> due records created at <paramref name="createdAt"/>.</summary>
    public List<Guid> AddMany(int count, DateTimeOffset createdAt, string messageType = "order.completed")
    {
        var ids = new List<Guid>(count);
        for (int i = 0; i < count; i++)
        {
            Guid id = MessageId.NewId(createdAt);
            Add(new OutboxEntry(id, messageType, "order-" + i, "{\"n\":" + i + "}", null, createdAt));
            ids.Add(id);
        }

        return ids;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => ClaimAsync(batchSize, leaseOwner, now, leaseUntil, ClaimOrdering.Unordered, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentException.ThrowIfNullOrEmpty(leaseOwner);
        if (BeforeClaim is { } before)
        {
            await before();
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ClaimFailure?.Invoke() is { } failure)
            {
                lock (_hooksGate)
                {
                    _failedClaims++;
                }

                throw failure;
            }

            lock (_hooksGate)
            {
                ClaimTokens.Add(leaseOwner);
            }

            InMemoryOutboxTable table = Table;
            lock (table.Gate)
            {
                List<InMemoryOutboxRow> due = table.Rows.Values
                    .Where(r => r.IsDue(now) && (ordering == ClaimOrdering.Unordered || !HasEarlierUnfinished(table, r, ordering)))
                    .OrderBy(r => r.NextAttemptAt)
                    .ThenBy(r => r.Id)
                    .Take(batchSize)
                    .ToList();
                var claimed = new List<OutboxMessage>(due.Count);
                foreach (InMemoryOutboxRow row in due)
                {
                    row.LockedBy = leaseOwner;
                    row.LockedUntil = leaseUntil;
                    claimed.Add(row.ToMessage());
                }

                return claimed;
            }
        }
        finally
        {
            Claimed?.Invoke();
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// One statement per outcome in one atomic write, as the SQL stores do: <c>sent_at</c>, <c>next_attempt_at</c> and
    /// <c>last_error</c> are kept when the outcome has none, and an outcome is written only while <c>locked_by</c> equals
    /// its lease owner exactly (ordinal).
    /// </remarks>
    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        foreach (OutboxOutcome outcome in outcomes)
        {
            if (outcome.Status is not (OutboxStatus.Sent or OutboxStatus.Failed or OutboxStatus.DeadLetter))
            {
                throw new ArgumentException($"Outcome of {outcome.Id} has status {outcome.Status}; an outcome is SENT, FAILED or DEAD_LETTER.", nameof(outcomes));
            }

            if (string.IsNullOrEmpty(outcome.LeaseOwner))
            {
                throw new ArgumentException($"Outcome of {outcome.Id} has no lease owner; outcomes are fenced by the claim token.", nameof(outcomes));
            }
        }

        if (BeforeComplete is { } before)
        {
            await before();
        }

        if (CompleteFailure?.Invoke() is { } failure)
        {
            throw failure;
        }

        if (outcomes.Count == 0)
        {
            return Array.Empty<Guid>();
        }

        lock (_hooksGate)
        {
            CompleteBatchSizes.Add(outcomes.Count);
        }

        InMemoryOutboxTable table = Table;
        var rejected = new List<Guid>();
        lock (table.Gate)
        {
            foreach (OutboxOutcome outcome in outcomes)
            {
                if (!table.Rows.TryGetValue(outcome.Id, out InMemoryOutboxRow? row) || !string.Equals(row.LockedBy, outcome.LeaseOwner, StringComparison.Ordinal))
                {
                    rejected.Add(outcome.Id);
                    continue;
                }

                row.Status = outcome.Status;
                row.RetryCount = outcome.RetryCount;
                row.LastAttemptAt = outcome.AttemptedAt;
                if (outcome.Status == OutboxStatus.Sent)
                {
                    row.SentAt = outcome.CompletedAt;
                }

                if (outcome.NextAttemptAt is { } next)
                {
                    row.NextAttemptAt = next;
                }

                if (StorableText.Escape(outcome.LastError) is { } error)
                {
                    row.LastError = error;
                }

                row.LockedBy = null;
                row.LockedUntil = null;
                row.History.Add(outcome);
            }
        }

        return rejected;
    }

    /// <inheritdoc />
    public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        InMemoryOutboxTable table = Table;
        lock (table.Gate)
        {
            foreach (OutboxMessage message in messages)
            {
                ArgumentNullException.ThrowIfNull(message, nameof(messages));
                lock (_hooksGate)
                {
                    Released.Add(message);
                }

                if (message.LeaseOwner is not null
                    && table.Rows.TryGetValue(message.Id, out InMemoryOutboxRow? row)
                    && string.Equals(row.LockedBy, message.LeaseOwner, StringComparison.Ordinal))
                {
                    row.LockedBy = null;
                    row.LockedUntil = null;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        _database.Ensure(_tableName);
        return Task.CompletedTask;
    }

    /// <summary>Simulates another claim taking a record over (its lease expired and it was claimed again).</summary>
    public void StealLease(Guid id, string newOwner)
    {
        InMemoryOutboxTable table = Table;
        lock (table.Gate)
        {
            InMemoryOutboxRow row = table.Rows[id];
            row.LockedBy = newOwner;
            row.LockedUntil = DateTimeOffset.MaxValue;
        }
    }

    public OutboxMessage Get(Guid id) => Locked(rows => rows[id].ToMessage());

    public List<OutboxOutcome> History(Guid id) => Locked(rows => rows[id].History.ToList());

    public List<OutboxMessage> All() => Locked(rows => rows.Values.Select(r => r.ToMessage()).ToList());

    public int CountLeased() => Locked(rows => rows.Values.Count(r => r.LockedBy is not null));

    /// <inheritdoc />
    public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        return Task.FromResult(Locked(rows =>
        {
            var backlog = rows.Values.Where(r => r.Status is OutboxStatus.Pending or OutboxStatus.Failed).ToList();
            var due = backlog.Where(r => r.NextAttemptAt <= now).ToList();
            return new OutboxStatistics
            {
                Pending = backlog.Count(r => r.Status == OutboxStatus.Pending),
                Failed = backlog.Count(r => r.Status == OutboxStatus.Failed),
                Due = due.Count(r => r.LockedUntil is null || r.LockedUntil <= now),
                Leased = backlog.Count(r => r.LockedUntil > now),
                DeadLetter = rows.Values.Count(r => r.Status == OutboxStatus.DeadLetter),
                OldestDueAge = due.Count == 0 ? null : now - due.Min(r => r.NextAttemptAt),
                SentEstimate = rows.Values.Count(r => r.Status == OutboxStatus.Sent),
            };
        }));
    }

    /// <inheritdoc />
    public Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default)
        => Task.FromResult(Locked(rows => rows.TryGetValue(id, out InMemoryOutboxRow? row) ? row.ToMessage() : null));

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
        => ListDeadLettersAsync(DeadLetterFilter.All, limit, after, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        return Task.FromResult(Locked(rows => rows.TryGetValue(id, out InMemoryOutboxRow? row) && Requeue(row, now)));
    }

    /// <inheritdoc />
    public async Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default)
        => DeadLetterReplay.ToInt32(await RequeueDeadLettersAsync(DeadLetterFilter.All, cancellationToken: cancellationToken));

    /// <inheritdoc />
    public Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateFilter(filter);
        return Task.FromResult(Locked(rows => (long)rows.Values.Count(r => filter.Matches(r.ToMessage()))));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateListing(filter, limit);
        string? afterText = after?.ToString();
        return Task.FromResult<IReadOnlyList<OutboxMessage>>(Locked(rows => rows.Values
            .Where(r => afterText is null || string.CompareOrdinal(r.Id.ToString(), afterText) > 0)
            .OrderBy(r => r.Id.ToString(), StringComparer.Ordinal)
            .Select(r => r.ToMessage())
            .Where(filter.Matches)
            .Take(limit)
            .ToList()));
    }

    /// <inheritdoc />
    public Task<long> RequeueDeadLettersAsync(DeadLetterFilter filter, int batchSize = DeadLetterFilter.DefaultBatchSize, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.Validate(filter, batchSize);
        return DeadLetterReplay.RunAsync(
            progress,
            async (after, ct) =>
            {
                IReadOnlyList<OutboxMessage> batch = await ListDeadLettersAsync(filter, Math.Min(batchSize, 1000), after, ct);
                var requeued = new List<Guid>(batch.Count);
                foreach (OutboxMessage message in batch)
                {
                    if (await RequeueDeadLetterAsync(message.Id, ct))
                    {
                        requeued.Add(message.Id);
                    }
                }

                return (IReadOnlyCollection<Guid>)requeued;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        OutboxLimits.ThrowIfPurgeBatchSizeOutOfRange(batchSize, nameof(batchSize));
        PurgeCalls++;
        LastPurgeSentBefore = sentBefore;
        return Task.FromResult(Locked(rows =>
        {
            List<Guid> ids = rows.Values.Where(r => r.Status == OutboxStatus.Sent && r.SentAt < sentBefore).Select(r => r.Id).ToList();
            foreach (Guid id in ids)
            {
                rows.Remove(id);
            }

            return (long)ids.Count;
        }));
    }

    private static void Insert(InMemoryOutboxTable table, List<OutboxEntry> entries)
    {
        lock (table.Gate)
        {
            foreach (OutboxEntry entry in entries)
            {
                table.Rows.Add(entry.Id, InMemoryOutboxRow.From(entry));
            }
        }
    }

    private static bool Requeue(InMemoryOutboxRow row, DateTimeOffset now)
    {
        if (row.Status != OutboxStatus.DeadLetter)
        {
            return false;
        }

        row.Status = OutboxStatus.Pending;
        row.RetryCount = 0;
        row.NextAttemptAt = now;
        row.LockedBy = null;
        row.LockedUntil = null;
        row.RequeuedAt = now;
        return true;
    }

    private T Locked<T>(Func<Dictionary<Guid, InMemoryOutboxRow>, T> action)
    {
        InMemoryOutboxTable table = Table;
        lock (table.Gate)
        {
            return action(table.Rows);
        }
    }
}
