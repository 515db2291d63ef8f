namespace OrderOutbox.Sample;

/// <summary>What the console shows while the sample runs.</summary>
internal sealed record ProgressSnapshot(
    TimeSpan Elapsed,
    int OrdersCompleted,
    int OrdersTotal,
    OutboxStatistics Outbox,
    long SentThisRun,
    long DeadLettersThisRun,
    ReceiverStats? Receiver,
    IReadOnlyList<string> Alerts,
    bool Drained);

/// <summary>The outcome of a run, read back from the outbox record of every completed order.</summary>
internal sealed record RunReport(
    int OrdersRequested,
    int OrdersCompleted,
    int Delivered,
    int DeliveredAfterRetry,
    int DeadLettered,
    int RejectedByReceiver,
    int GaveUpAfterRetries,
    int NotFinished,
    ReceiverStats? Receiver,
    TimeSpan Elapsed,
    bool Interrupted,
    IReadOnlyList<string> DeadLetters)
{
    /// <summary>
    /// Every order was completed and its event was delivered, or dead-lettered on purpose: rejected by the receiver
    /// with a permanent error before the retries ran out. A record that gave up after all retries, or is still
    /// PENDING/FAILED, is a failure.
    /// </summary>
    public bool Success => OrdersCompleted == OrdersRequested && NotFinished == 0 && GaveUpAfterRetries == 0;
}

/// <summary>
/// The seed's scenario, end to end: place orders, complete them one by one (each completion enqueues
/// <see cref="OrderCompleted"/> in its own transaction), and watch the dispatcher deliver them.
/// </summary>
internal sealed class OrderScenario(
    SampleSettings settings,
    OrderService orders,
    IOutboxAdmin admin,
    OutboxOptions outboxOptions,
    DeadLetterAlerts alerts,
    FakeDataPlatform? platform,
    TimeProvider time)
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    // Completions are spread over about two seconds so the live view shows orders arriving while others are delivered.
    private static readonly TimeSpan CompletionSpread = TimeSpan.FromSeconds(2);

    /// <summary>Runs the scenario until the outbox is drained (or until <paramref name="stopping"/> fires).</summary>
    public async Task<RunReport> RunAsync(IReadOnlyList<NewOrder> newOrders, Action<ProgressSnapshot> show, CancellationToken stopping)
    {
        long started = time.GetTimestamp();
        var baseline = await admin.GetStatisticsAsync(stopping);
        await orders.PlaceAsync(newOrders, stopping);

        var messageIds = new Guid[newOrders.Count];
        int completed = 0;
        var completing = Task.Run(
            async () =>
            {
                var pace = CompletionSpread / Math.Max(1, newOrders.Count);
                for (int i = 0; i < newOrders.Count; i++)
                {
                    messageIds[i] = await orders.CompleteAsync(newOrders[i].Id, stopping);
                    Interlocked.Increment(ref completed);
                    if (pace >= TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(pace, time, stopping);
                    }
                }
            },
            stopping);

        bool interrupted = false;
        try
        {
            while (true)
            {
                if (completing.IsFaulted)
                {
                    await completing; // surfaces the error
                }

                var stats = await admin.GetStatisticsAsync(stopping);
                bool drained = completing.IsCompletedSuccessfully && stats.Pending == 0 && stats.Failed == 0;
                show(new ProgressSnapshot(
                    time.GetElapsedTime(started),
                    Volatile.Read(ref completed),
                    newOrders.Count,
                    stats,
                    SentThisRun(Volatile.Read(ref completed), baseline, stats),
                    stats.DeadLetter - baseline.DeadLetter,
                    platform?.Snapshot(),
                    alerts.ToList(),
                    drained));

                if (drained && settings.ExitWhenDrained)
                {
                    break;
                }

                await Task.Delay(RefreshInterval, time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            interrupted = true;
        }

        try
        {
            await completing;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            interrupted = true;
        }

        return await ReadReportAsync(newOrders.Count, messageIds.AsMemory(0, Volatile.Read(ref completed)), time.GetElapsedTime(started), interrupted);
    }

    /// <summary>
    /// Records of this run that left the backlog other than as dead letters: the statistics count the backlog exactly but
    /// SENT only as an estimate (none on SQLite), so the sample derives it from what it enqueued.
    /// </summary>
    private static long SentThisRun(int completed, OutboxStatistics baseline, OutboxStatistics now)
        => Math.Max(0, completed + baseline.Pending + baseline.Failed - now.Pending - now.Failed - (now.DeadLetter - baseline.DeadLetter));

    private async Task<RunReport> ReadReportAsync(int requested, ReadOnlyMemory<Guid> messageIds, TimeSpan elapsed, bool interrupted)
    {
        int delivered = 0, afterRetry = 0, deadLettered = 0, rejected = 0, gaveUp = 0, notFinished = 0;
        var deadLetters = new List<string>();
        for (int i = 0; i < messageIds.Length; i++)
        {
            var message = await admin.GetAsync(messageIds.Span[i], CancellationToken.None);
            switch (message?.Status)
            {
                case OutboxStatus.Sent:
                    delivered++;
                    afterRetry += message.RetryCount > 0 ? 1 : 0;
                    break;

                case OutboxStatus.DeadLetter:
                    deadLettered++;

                    // Dead-lettered before the retries ran out means the receiver refused it for good (a 4xx):
                    // deliberate, and handled by the dead-letter alert. After all retries, the platform never took it.
                    bool deliberate = message.RetryCount <= outboxOptions.Backoff.MaxRetries;
                    rejected += deliberate ? 1 : 0;
                    gaveUp += deliberate ? 0 : 1;
                    deadLetters.Add($"{message.AggregateId} ({(deliberate ? "rejected by the receiver" : "gave up after all retries")}): {DeadLetterAlerts.OneLine(message.LastError)}");
                    break;

                default:
                    notFinished++;
                    break;
            }
        }

        return new RunReport(
            requested,
            messageIds.Length,
            delivered,
            afterRetry,
            deadLettered,
            rejected,
            gaveUp,
            notFinished,
            platform?.Snapshot(),
            elapsed,
            interrupted,
            deadLetters);
    }
}
