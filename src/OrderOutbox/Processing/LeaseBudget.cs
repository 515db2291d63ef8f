namespace OrderOutbox.Processing;

/// <summary>
/// The lease rule, in one place for the engine and the options validator (pure arithmetic on the options).
/// </summary>
/// <remarks>
/// <para>A call may start on a claimed record only while the record's lease still covers the whole call and the
/// writing of its outcome: <c>now + DispatchTimeout + WriteAllowance ≤ lease end</c>, where the write allowance is
/// the dispatch timeout, at most <see cref="MaxWriteAllowance"/>. A record that fails this test is released, never
/// started, so the same instance can never hold two copies of one record in flight.</para>
/// <para>So that this stays the exception, a cycle never holds more claimed-but-unfinished records than its workers can
/// start within a lease: <c>MaxConcurrency × Rounds</c> with <c>Rounds = floor((LeaseDuration − 2 × WriteAllowance) /
/// DispatchTimeout)</c> (at least 1); claims are cut to what fits. BatchSize and MaxConcurrency therefore never
/// constrain the lease: the validator only asks that one call and its outcome write fit in it.</para>
/// </remarks>
internal static class LeaseBudget
{
    /// <summary>The most time kept at the end of a lease for writing an outcome.</summary>
    public static readonly TimeSpan MaxWriteAllowance = TimeSpan.FromSeconds(5);

    /// <summary>The time kept after a call's timeout for writing its outcome: the timeout itself, at most <see cref="MaxWriteAllowance"/>.</summary>
    /// <param name="dispatchTimeout">The per-call timeout.</param>
    /// <returns>The allowance.</returns>
    public static TimeSpan WriteAllowance(TimeSpan dispatchTimeout)
        => dispatchTimeout < MaxWriteAllowance ? dispatchTimeout : MaxWriteAllowance;

    /// <summary>The lease left that a call needs to start: its timeout plus the write allowance. Also the shortest valid lease.</summary>
    /// <param name="dispatchTimeout">The per-call timeout.</param>
    /// <returns>The margin.</returns>
    public static TimeSpan StartMargin(TimeSpan dispatchTimeout) => dispatchTimeout + WriteAllowance(dispatchTimeout);

    /// <summary>How many records one cycle may hold claimed but unfinished: <c>MaxConcurrency × Rounds</c>.</summary>
    /// <param name="options">The engine's options.</param>
    /// <returns>The cap, at least <see cref="OutboxOptions.MaxConcurrency"/>.</returns>
    public static int MaxOutstanding(OutboxOptions options)
    {
        TimeSpan allowance = WriteAllowance(options.DispatchTimeout);
        long rounds = Math.Max(1, (options.LeaseDuration - allowance - allowance).Ticks / options.DispatchTimeout.Ticks);
        return (int)Math.Min(int.MaxValue, rounds * options.MaxConcurrency);
    }
}
