using System.Globalization;
using System.Text;

namespace OrderOutbox.Tests.Model;

/// <summary>A claim that returned a record: which processor, which token, when, and until when.</summary>
internal sealed record ClaimEvent(long Seq, int Processor, string Token, DateTimeOffset Now, DateTimeOffset LeaseUntil, int RetryCount);

/// <summary>A dispatcher call of a live processor and how it ended (<see cref="EndedBy"/> is null while it runs).</summary>
internal sealed class AttemptEvent
{
    public required long Seq { get; init; }
    public required int Processor { get; init; }
    public required string Token { get; init; }
    public required int Number { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset? LeaseUntil { get; init; }
    public required int RetryCount { get; init; }
    public required Answer Answer { get; init; }
    public string? EndedBy { get; set; }

    /// <summary>Cut by a forced stop: the receiver got the call, the engine released the record without an outcome.</summary>
    public bool Aborted { get; set; }

    public override string ToString()
        => $"#{Seq} attempt {Number} by P{Processor} [{Token}] at {ModelTrace.Format(StartedAt)} (lease to {ModelTrace.Format(LeaseUntil)}, retry {RetryCount}): {Answer} -> {EndedBy ?? "running"}";
}

/// <summary>An outcome write the store accepted (not fenced out).</summary>
internal sealed record WriteEvent(long Seq, int Processor, OutboxOutcome Outcome, string? LatestClaimToken, int LatestClaimProcessor);

/// <summary>What the model knows about one record: its shadow row (from the store's answers) and its history.</summary>
internal sealed class RecordTrace
{
    public required Guid Id { get; init; }
    public required int Index { get; init; }
    public OutboxStatus Status { get; set; } = OutboxStatus.Pending;
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LockedBy { get; set; }
    public int LockedByProcessor { get; set; } = -1;
    public DateTimeOffset? LockedUntil { get; set; }
    public int Interruptions { get; set; }
    public int HookCalls { get; set; }
    public List<ClaimEvent> Claims { get; } = [];
    public List<AttemptEvent> Attempts { get; } = [];
    public List<WriteEvent> Writes { get; } = [];
    public List<string> Releases { get; } = [];

    public bool IsFinal => Status is OutboxStatus.Sent or OutboxStatus.DeadLetter;

    public string Describe()
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"record #{Index} {Id}: shadow {Status}, due {ModelTrace.Format(NextAttemptAt)}, crashes and stalls that held it {Interruptions}, hook calls {HookCalls}"));
        foreach (ClaimEvent claim in Claims)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    #{claim.Seq} claimed by P{claim.Processor} [{claim.Token}] at {ModelTrace.Format(claim.Now)} until {ModelTrace.Format(claim.LeaseUntil)}");
        }

        foreach (AttemptEvent attempt in Attempts)
        {
            text.Append("\n    ").Append(attempt);
        }

        foreach (WriteEvent write in Writes)
        {
            OutboxOutcome o = write.Outcome;
            text.Append(CultureInfo.InvariantCulture, $"\n    #{write.Seq} written by P{write.Processor} [{o.LeaseOwner}]: {o.Status} retry {o.RetryCount} next {ModelTrace.Format(o.NextAttemptAt)} (latest claim then P{write.LatestClaimProcessor} [{write.LatestClaimToken}])");
        }

        foreach (string release in Releases)
        {
            text.Append("\n    ").Append(release);
        }

        return text.ToString();
    }
}

/// <summary>
/// The journal of one model run, fed by the recording store, dispatcher and dead-letter handler of every processor. It
/// keeps a shadow of each record's row (from what the store returned and accepted), every claim, attempt and accepted
/// write, and the driver's last events for the failure message. Thread-safe; sequence numbers order the events.
/// </summary>
internal sealed class ModelTrace
{
    private const int KeptEvents = 60;
    private readonly object _gate = new();
    private readonly Dictionary<Guid, RecordTrace> _records = [];
    private readonly Queue<string> _events = new();
    private long _seq;

    /// <summary>Incremented by every event; the driver's settle check watches it.</summary>
    public long Version => Interlocked.Read(ref _seq);

    public List<string> Violations { get; } = [];

    public static string Format(DateTimeOffset? time) => time is { } t ? t.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) : "-";

    public RecordTrace AddRecord(Guid id, DateTimeOffset dueAt)
    {
        lock (_gate)
        {
            var record = new RecordTrace { Id = id, Index = _records.Count, NextAttemptAt = dueAt };
            _records.Add(id, record);
            return record;
        }
    }

    public List<RecordTrace> Records()
    {
        lock (_gate)
        {
            return [.. _records.Values];
        }
    }

    public RecordTrace? Find(Guid id)
    {
        lock (_gate)
        {
            return _records.GetValueOrDefault(id);
        }
    }

    public void Note(string text)
    {
        lock (_gate)
        {
            Next();
            _events.Enqueue(text);
            if (_events.Count > KeptEvents)
            {
                _events.Dequeue();
            }
        }
    }

    public void Violation(string text)
    {
        lock (_gate)
        {
            Violations.Add(text);
        }
    }

    public string RecentEvents()
    {
        lock (_gate)
        {
            return string.Join("\n  ", _events);
        }
    }

    public void Claimed(int processor, string token, DateTimeOffset now, DateTimeOffset leaseUntil, IReadOnlyList<OutboxMessage> batch)
    {
        lock (_gate)
        {
            long seq = Next();
            foreach (OutboxMessage message in batch)
            {
                if (!_records.TryGetValue(message.Id, out RecordTrace? record))
                {
                    Violations.Add($"P{processor} claimed {message.Id}, which was never committed");
                    continue;
                }

                if (record.IsFinal || record.NextAttemptAt > now || (record.LockedBy is not null && record.LockedUntil > now))
                {
                    Violations.Add($"record #{record.Index} {record.Id}: claimed by P{processor} [{token}] at {Format(now)}, but it was {record.Status}, due {Format(record.NextAttemptAt)}, leased by P{record.LockedByProcessor} [{record.LockedBy}] until {Format(record.LockedUntil)}");
                }

                record.Claims.Add(new ClaimEvent(seq, processor, token, now, leaseUntil, message.RetryCount));
                record.LockedBy = token;
                record.LockedByProcessor = processor;
                record.LockedUntil = leaseUntil;
            }
        }
    }

    public AttemptEvent? Attempted(int processor, OutboxMessage message, DateTimeOffset now, Func<int, int, Answer> answers)
    {
        lock (_gate)
        {
            if (!_records.TryGetValue(message.Id, out RecordTrace? record))
            {
                Violations.Add($"P{processor} dispatched {message.Id}, which was never committed");
                return null;
            }

            var attempt = new AttemptEvent
            {
                Seq = Next(),
                Processor = processor,
                Token = message.LeaseOwner ?? string.Empty,
                Number = record.Attempts.Count + 1,
                StartedAt = now,
                LeaseUntil = message.LeaseExpiresAt,
                RetryCount = message.RetryCount,
                Answer = answers(record.Index, record.Attempts.Count + 1),
            };
            record.Attempts.Add(attempt);
            return attempt;
        }
    }

    public void AttemptEnded(AttemptEvent attempt, string endedBy, bool aborted)
    {
        lock (_gate)
        {
            Next();
            attempt.EndedBy = endedBy;
            attempt.Aborted = aborted;
        }
    }

    public void Completed(int processor, IReadOnlyList<OutboxOutcome> outcomes, IReadOnlyCollection<Guid> rejected)
    {
        lock (_gate)
        {
            long seq = Next();
            var fenced = new HashSet<Guid>(rejected);
            foreach (OutboxOutcome outcome in outcomes)
            {
                if (fenced.Contains(outcome.Id) || !_records.TryGetValue(outcome.Id, out RecordTrace? record))
                {
                    continue;
                }

                record.Writes.Add(new WriteEvent(seq, processor, outcome, record.LockedBy, record.LockedByProcessor));
                record.Status = outcome.Status;
                if (outcome.NextAttemptAt is { } next)
                {
                    record.NextAttemptAt = next;
                }

                record.LockedBy = null;
                record.LockedByProcessor = -1;
                record.LockedUntil = null;
            }
        }
    }

    public void Released(int processor, IReadOnlyList<OutboxMessage> messages)
    {
        lock (_gate)
        {
            long seq = Next();
            foreach (OutboxMessage message in messages)
            {
                if (!_records.TryGetValue(message.Id, out RecordTrace? record))
                {
                    continue;
                }

                bool held = message.LeaseOwner is not null && string.Equals(record.LockedBy, message.LeaseOwner, StringComparison.Ordinal);
                record.Releases.Add($"#{seq} released by P{processor} [{message.LeaseOwner}]{(held ? string.Empty : " (not the holder: no effect)")}");
                if (held)
                {
                    record.LockedBy = null;
                    record.LockedByProcessor = -1;
                    record.LockedUntil = null;
                }
            }
        }
    }

    /// <summary>Counts a crash of <paramref name="processor"/> against every record it holds a lease on.</summary>
    public int Crashed(int processor)
    {
        lock (_gate)
        {
            Next();
            int held = 0;
            foreach (RecordTrace record in _records.Values)
            {
                if (record.LockedByProcessor == processor)
                {
                    record.Interruptions++;
                    held++;
                }
            }

            return held;
        }
    }

    /// <summary>The records <paramref name="processor"/> holds a lease on now, with the lease's end.</summary>
    public List<(RecordTrace Record, DateTimeOffset LeaseUntil)> HeldBy(int processor)
    {
        lock (_gate)
        {
            return _records.Values.Where(r => r.LockedByProcessor == processor).Select(r => (r, r.LockedUntil ?? DateTimeOffset.MinValue)).ToList();
        }
    }

    /// <summary>Counts a stall against each record whose lease ended while its holder was frozen.</summary>
    public int Stalled(IEnumerable<(RecordTrace Record, DateTimeOffset LeaseUntil)> held, DateTimeOffset resumedAt)
    {
        lock (_gate)
        {
            Next();
            int expired = 0;
            foreach ((RecordTrace record, DateTimeOffset leaseUntil) in held)
            {
                if (leaseUntil <= resumedAt)
                {
                    record.Interruptions++;
                    expired++;
                }
            }

            return expired;
        }
    }

    public void DeadLetterHook(int processor, Guid id)
    {
        lock (_gate)
        {
            Next();
            if (_records.TryGetValue(id, out RecordTrace? record))
            {
                record.HookCalls++;
            }
            else
            {
                Violations.Add($"P{processor} called the dead-letter hook for {id}, which was never committed");
            }
        }
    }

    /// <summary>The earliest time something becomes claimable (a due time or a lease end), or null when every record is final.</summary>
    public DateTimeOffset? NextDue()
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            foreach (RecordTrace record in _records.Values)
            {
                if (record.IsFinal)
                {
                    continue;
                }

                DateTimeOffset at = record.LockedUntil is { } until && until > record.NextAttemptAt ? until : record.NextAttemptAt;
                if (next is null || at < next)
                {
                    next = at;
                }
            }

            return next;
        }
    }

    private long Next() => Interlocked.Increment(ref _seq);
}
