using System.Globalization;
using FluentAssertions;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// The counts a scenario is judged by. Committed comes from the <c>orders</c> table (what really committed),
/// delivered from the receiver (distinct message IDs answered 200), dead-lettered from the outbox and the hook.
/// </summary>
internal sealed record Figures
{
    public required string Scenario { get; init; }

    /// <summary>Orders whose transaction committed.</summary>
    public required int Committed { get; init; }

    /// <summary>Committed orders whose message the receiver accepted at least once.</summary>
    public required int Delivered { get; init; }

    /// <summary>Committed orders neither delivered nor dead-lettered by design (still <c>DEAD_LETTER</c>): must be 0.</summary>
    public required int Lost { get; init; }

    /// <summary>Accepted deliveries beyond the first of each message (at-least-once).</summary>
    public required int Duplicates { get; init; }

    /// <summary>Messages that became <c>DEAD_LETTER</c> during the run (including ones later requeued).</summary>
    public required int DeadLettered { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>Messages delivered that belong to no committed order (rolled back, or unknown): must be 0.</summary>
    public required int Phantom { get; init; }

    public required int RolledBack { get; init; }

    public required int RolledBackDelivered { get; init; }

    /// <summary>Outbox rows without a committed order, plus committed orders without an outbox row: must be 0.</summary>
    public required int AtomicityViolations { get; init; }

    /// <summary>Delivered bodies that differ from the bytes serialised at enqueue: must be 0.</summary>
    public required int BodyMismatches { get; init; }

    public required long ProtocolErrors { get; init; }

    public required IReadOnlySet<Guid> DuplicatedIds { get; init; }

    /// <summary>Duplicated messages that a SIGKILLed worker held when it died (its outcome died with it).</summary>
    public required int DuplicatedByKill { get; init; }

    /// <summary>Duplicated messages with a recorded failed attempt (e.g. a timeout after the receiver had accepted).</summary>
    public required int DuplicatedByRetry { get; init; }

    /// <summary>Duplicated messages whose outcome a worker logged as fenced off (its lease had passed to another claim).</summary>
    public required int DuplicatedByFencing { get; init; }

    /// <summary>Duplicated messages none of the above explains.</summary>
    public required int DuplicatedUnexplained { get; init; }

    /// <summary>Outcomes the workers logged as not written because the database failed (no IDs in that log line).</summary>
    public required int OutcomeWritesLost { get; init; }

    /// <summary>How the duplicates break down, for the figures line.</summary>
    public string DuplicateCauses => string.Create(
        CultureInfo.InvariantCulture,
        $"dup_causes=kill:{DuplicatedByKill},retry:{DuplicatedByRetry},fenced:{DuplicatedByFencing},other:{DuplicatedUnexplained} outcome_writes_lost={OutcomeWritesLost}");

    public string Line(string? extra = null)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"scenario={Scenario} committed={Committed} delivered={Delivered} lost={Lost} duplicates={Duplicates} dead_lettered={DeadLettered} elapsed={Elapsed.TotalSeconds:F1}s");
        line += " " + DuplicateCauses;
        return extra is null ? line : line + " " + extra;
    }

    /// <summary>The invariants every scenario keeps, whatever it breaks.</summary>
    public void AssertNothingLost()
    {
        Committed.Should().BeGreaterThan(0, "the scenario must commit orders");
        Lost.Should().Be(0, "every committed record is delivered or dead-lettered by design");
        Phantom.Should().Be(0, "no message of a rolled-back transaction may be delivered");
        RolledBackDelivered.Should().Be(0, "no rolled-back order may be delivered");
        AtomicityViolations.Should().Be(0, "the outbox row commits or rolls back with the order");
        BodyMismatches.Should().Be(0, "the payload is sent byte-for-byte as serialised at enqueue");
        ProtocolErrors.Should().Be(0, "every request carries an Idempotency-Key and the stored JSON");
        DuplicatedUnexplained.Should().BeLessThanOrEqualTo(
            OutcomeWritesLost,
            "a message is delivered twice only when an attempt's outcome was lost (kill, failed outcome write) or recorded as a failure, or its lease passed on");
    }
}
