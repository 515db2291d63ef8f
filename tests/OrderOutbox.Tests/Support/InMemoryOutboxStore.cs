using System.Data.Common;
using OrderOutbox.Storage;

namespace OrderOutbox.Tests.Support;

/// <summary>
/// A thread-safe in-memory <see cref="IOutboxStore"/> and <see cref="IOutboxAdmin"/> for the core's unit tests. It
/// follows the store contract to the letter: atomic leased claims (oldest due first), outcome and release writes
/// fenced by the claim token, times always from the caller. Hooks let tests inject failures and observe calls.
/// </summary>
internal sealed class InMemoryOutboxStore : IOutboxStore, IOutboxAdmin
{
    private readonly object _gate = new();
    private readonly Dictionary<Guid, Row> _rows = [];
    private readonly TimeProvider _time;

    public InMemoryOutboxStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Thrown by the next <see cref="ClaimAsync(int, string, DateTimeOffset, DateTimeOffset, ClaimOrdering, CancellationToken)"/> calls while it returns an exception.</summary>
    public Func<Exception?>? ClaimFailure { get; set; }

    /// <summary>Thrown by <see cref="CompleteAsync"/> while it returns an exception.</summary>
    public Func<Exception?>? CompleteFailure { get; set; }

    /// <summary>Awaited at the start of every <see cref="CompleteAsync"/> (to hold writes back).</summary>
    public Func<Task>? BeforeComplete { get; set; }

    /// <summary>Awaited at the start of every <see cref="ClaimAsync(int, string, DateTimeOffset, DateTimeOffset, ClaimOrdering, CancellationToken)"/> (to hold claims back).</summary>
    public Func<Task>? BeforeClaim { get; set; }

    public List<string> ClaimTokens { get; } = [];

    public List<int> CompleteBatchSizes { get; } = [];

    public List<OutboxMessage> Released { get; } = [];

    public int ClaimCalls { get { lock (_gate) { return ClaimTokens.Count + _failedClaims; } } }

    public int PurgeCalls { get; private set; }

    public DateTimeOffset? LastPurgeSentBefore { get; private set; }

    private int _failedClaims;

    /// <summary>Signalled after each claim (successful or not).</summary>
    public event Action? Claimed;

    public Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Add(entry);
        return Task.CompletedTask;
    }

    /// <summary>Inserts a record as <c>PENDING</c>, due at its creation time.</summary>
    public void Add(OutboxEntry entry)
    {
        lock (_gate)
        {
            _rows.Add(entry.Id, new Row
            {
                Id = entry.Id,
                MessageType = entry.MessageType,
                AggregateId = entry.AggregateId,
                Payload = entry.Payload,
                Headers = entry.Headers,
                Status = OutboxStatus.Pending,
                CreatedAt = entry.CreatedAt,
                NextAttemptAt = entry.CreatedAt,
            });
        }
    }

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

    public Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
        => ClaimAsync(batchSize, leaseOwner, now, leaseUntil, ClaimOrdering.Unordered, cancellationToken);

    public async Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
    {
        if (BeforeClaim is { } before)
        {
            await before();
        }

        return await ClaimNowAsync(batchSize, leaseOwner, now, leaseUntil, ordering, cancellationToken);
    }

    /// <summary>Whether an earlier record (by ID text order = UUIDv7 order) of <paramref name="row"/>'s aggregate is unfinished.</summary>
    private bool HasEarlierUnfinished(Row row, ClaimOrdering ordering)
        => row.AggregateId is { } aggregate
           && _rows.Values.Any(e => e.AggregateId == aggregate
               && string.CompareOrdinal(e.Id.ToString(), row.Id.ToString()) < 0
               && (e.Status is OutboxStatus.Pending or OutboxStatus.Failed
                   || (e.Status == OutboxStatus.DeadLetter && ordering == ClaimOrdering.PerAggregate)));

    private Task<IReadOnlyList<OutboxMessage>> ClaimNowAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            lock (_gate)
            {
                if (ClaimFailure?.Invoke() is { } failure)
                {
                    _failedClaims++;
                    throw failure;
                }

                ClaimTokens.Add(leaseOwner);
                var due = _rows.Values
                    .Where(r => r.Status is OutboxStatus.Pending or OutboxStatus.Failed
                        && r.NextAttemptAt <= now
                        && (r.LockedUntil is null || r.LockedUntil <= now)
                        && (ordering == ClaimOrdering.Unordered || !HasEarlierUnfinished(r, ordering)))
                    .OrderBy(r => r.NextAttemptAt)
                    .ThenBy(r => r.Id.ToString())
                    .Take(batchSize)
                    .ToList();
                var claimed = new List<OutboxMessage>(due.Count);
                foreach (Row row in due)
                {
                    row.LockedBy = leaseOwner;
                    row.LockedUntil = leaseUntil;
                    claimed.Add(row.ToMessage());
                }

                return Task.FromResult<IReadOnlyList<OutboxMessage>>(claimed);
            }
        }
        finally
        {
            Claimed?.Invoke();
        }
    }

    public async Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (BeforeComplete is { } before)
        {
            await before();
        }

        lock (_gate)
        {
            if (CompleteFailure?.Invoke() is { } failure)
            {
                throw failure;
            }

            CompleteBatchSizes.Add(outcomes.Count);
            var rejected = new List<Guid>();
            foreach (OutboxOutcome outcome in outcomes)
            {
                if (outcome.Status == OutboxStatus.Pending)
                {
                    throw new ArgumentException("An outcome never sets PENDING.", nameof(outcomes));
                }

                if (!_rows.TryGetValue(outcome.Id, out Row? row) || row.LockedBy != outcome.LeaseOwner)
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

                row.LastError = outcome.LastError;
                row.LockedBy = null;
                row.LockedUntil = null;
                row.History.Add(outcome);
            }

            return rejected;
        }
    }

    public Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (OutboxMessage message in messages)
            {
                Released.Add(message);
                if (_rows.TryGetValue(message.Id, out Row? row) && row.LockedBy is not null && row.LockedBy == message.LeaseOwner)
                {
                    row.LockedBy = null;
                    row.LockedUntil = null;
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Simulates another claim taking a record over (its lease expired and it was claimed again).</summary>
    public void StealLease(Guid id, string newOwner)
    {
        lock (_gate)
        {
            Row row = _rows[id];
            row.LockedBy = newOwner;
            row.LockedUntil = DateTimeOffset.MaxValue;
        }
    }

    public OutboxMessage Get(Guid id)
    {
        lock (_gate)
        {
            return _rows[id].ToMessage();
        }
    }

    public List<OutboxOutcome> History(Guid id)
    {
        lock (_gate)
        {
            return [.. _rows[id].History];
        }
    }

    public List<OutboxMessage> All()
    {
        lock (_gate)
        {
            return _rows.Values.Select(r => r.ToMessage()).ToList();
        }
    }

    public int CountLeased()
    {
        lock (_gate)
        {
            return _rows.Values.Count(r => r.LockedBy is not null);
        }
    }

    public Task<OutboxStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            var backlog = _rows.Values.Where(r => r.Status is OutboxStatus.Pending or OutboxStatus.Failed).ToList();
            var due = backlog.Where(r => r.NextAttemptAt <= now).ToList();
            return Task.FromResult(new OutboxStatistics
            {
                Pending = backlog.Count(r => r.Status == OutboxStatus.Pending),
                Failed = backlog.Count(r => r.Status == OutboxStatus.Failed),
                Due = due.Count(r => r.LockedUntil is null || r.LockedUntil <= now),
                Leased = backlog.Count(r => r.LockedUntil > now),
                DeadLetter = _rows.Values.Count(r => r.Status == OutboxStatus.DeadLetter),
                OldestDueAge = due.Count == 0 ? null : now - due.Min(r => r.NextAttemptAt),
                SentEstimate = _rows.Values.Count(r => r.Status == OutboxStatus.Sent),
            });
        }
    }

    public Task<OutboxMessage?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(_rows.TryGetValue(id, out Row? row) ? row.ToMessage() : null);
        }
    }

    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
        => ListDeadLettersAsync(DeadLetterFilter.All, limit, after, cancellationToken);

    public Task<bool> RequeueDeadLetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_rows.TryGetValue(id, out Row? row) || row.Status != OutboxStatus.DeadLetter)
            {
                return Task.FromResult(false);
            }

            row.Status = OutboxStatus.Pending;
            row.RetryCount = 0;
            row.NextAttemptAt = now;
            row.LockedBy = null;
            row.LockedUntil = null;
            row.RequeuedAt = now;
            return Task.FromResult(true);
        }
    }

    public async Task<int> RequeueAllDeadLettersAsync(CancellationToken cancellationToken = default)
        => DeadLetterReplay.ToInt32(await RequeueDeadLettersAsync(DeadLetterFilter.All, cancellationToken: cancellationToken));

    public Task<long> CountDeadLettersAsync(DeadLetterFilter filter, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateFilter(filter);
        lock (_gate)
        {
            return Task.FromResult((long)_rows.Values.Count(r => filter.Matches(r.ToMessage())));
        }
    }

    public Task<IReadOnlyList<OutboxMessage>> ListDeadLettersAsync(DeadLetterFilter filter, int limit = 100, Guid? after = null, CancellationToken cancellationToken = default)
    {
        DeadLetterReplay.ValidateListing(filter, limit);
        lock (_gate)
        {
            IReadOnlyList<OutboxMessage> page = _rows.Values
                .Select(r => r.ToMessage())
                .Where(m => filter.Matches(m) && (after is null || m.Id.CompareTo(after.Value) > 0))
                .OrderBy(m => m.Id)
                .Take(limit)
                .ToList();
            return Task.FromResult(page);
        }
    }

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

    public Task<long> PurgeSentAsync(DateTimeOffset sentBefore, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            PurgeCalls++;
            LastPurgeSentBefore = sentBefore;
            var ids = _rows.Values.Where(r => r.Status == OutboxStatus.Sent && r.SentAt < sentBefore).Select(r => r.Id).ToList();
            foreach (Guid id in ids)
            {
                _rows.Remove(id);
            }

            return Task.FromResult((long)ids.Count);
        }
    }

    private sealed class Row
    {
        public Guid Id { get; init; }
        public required string MessageType { get; init; }
        public string? AggregateId { get; init; }
        public required string Payload { get; init; }
        public string? Headers { get; init; }
        public OutboxStatus Status { get; set; }
        public int RetryCount { get; set; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset NextAttemptAt { get; set; }
        public DateTimeOffset? LastAttemptAt { get; set; }
        public DateTimeOffset? SentAt { get; set; }
        public string? LastError { get; set; }
        public string? LockedBy { get; set; }
        public DateTimeOffset? LockedUntil { get; set; }
        public DateTimeOffset? RequeuedAt { get; set; }
        public List<OutboxOutcome> History { get; } = [];

        public OutboxMessage ToMessage() => new()
        {
            Id = Id,
            MessageType = MessageType,
            AggregateId = AggregateId,
            Payload = Payload,
            Headers = Headers,
            Status = Status,
            RetryCount = RetryCount,
            CreatedAt = CreatedAt,
            NextAttemptAt = NextAttemptAt,
            LastAttemptAt = LastAttemptAt,
            SentAt = SentAt,
            LastError = LastError,
            LeaseOwner = LockedBy,
            LeaseExpiresAt = LockedUntil,
            RequeuedAt = RequeuedAt,
        };
    }
}
