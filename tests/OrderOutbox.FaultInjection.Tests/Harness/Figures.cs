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

    public string Line(string? extra = null)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"scenario={Scenario} committed={Committed} delivered={Delivered} lost={Lost} duplicates={Duplicates} dead_lettered={DeadLettered} elapsed={Elapsed.TotalSeconds:F1}s");
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
    }
}
