using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace OrderOutbox;

/// <summary>
/// Options of the outbox engine, bound from the <c>OrderOutbox</c> configuration section or set in
/// <c>AddOrderOutbox(o =&gt; …)</c>. Defaults: poll every minute, batches of 10, 10-second timeout,
/// backoff 1/2/4/8/16 minutes with five retries. Validated at host start.
/// </summary>
public sealed class OutboxOptions
{
    /// <summary>The default configuration section name, <c>OrderOutbox</c>.</summary>
    public const string SectionName = "OrderOutbox";

    /// <summary>The default <see cref="PollingInterval"/>: 1 minute (UC-DATA-01, UC-DATA-02).</summary>
    public static readonly TimeSpan DefaultPollingInterval = TimeSpan.FromMinutes(1);

    /// <summary>The default <see cref="BatchSize"/>: 10.</summary>
    public const int DefaultBatchSize = 10;

    /// <summary>The default <see cref="DispatchTimeout"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultDispatchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The default <see cref="MaxConcurrency"/>: 1.</summary>
    public const int DefaultMaxConcurrency = 1;

    /// <summary>The default <see cref="LeaseDuration"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromMinutes(5);

    /// <summary>The default <see cref="DeadLetterHandlerTimeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultDeadLetterHandlerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default <see cref="ShutdownGracePeriod"/>: 20 seconds.</summary>
    public static readonly TimeSpan DefaultShutdownGracePeriod = TimeSpan.FromSeconds(20);

    /// <summary>The default <see cref="GaugeRefreshInterval"/>: 15 seconds.</summary>
    public static readonly TimeSpan DefaultGaugeRefreshInterval = TimeSpan.FromSeconds(15);

    /// <summary>The default <see cref="MaxPayloadBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxPayloadBytes = 1024 * 1024;

    /// <summary>The interval between polls when the outbox is idle.</summary>
    /// <value>Default 1 minute; allowed 10 milliseconds to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan PollingInterval { get; set; } = DefaultPollingInterval;

    /// <summary>
    /// The maximum number of records claimed at once. A full claim is followed at once by another
    /// (drain), unless <see cref="OneBatchPerCycle"/> is set.
    /// </summary>
    /// <value>Default 10; allowed 1 to 10,000.</value>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>The time limit of one dispatch call; a call that exceeds it is a transient failure (timeout).</summary>
    /// <value>Default 10 seconds; allowed 1 millisecond to 10 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan DispatchTimeout { get; set; } = DefaultDispatchTimeout;

    /// <summary>How many dispatch calls run at once.</summary>
    /// <value>Default 1; allowed 1 to 1,024.</value>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>
    /// How long a claim holds its records. A record whose lease expires (its instance died) is claimed again
    /// by any instance. Must be long enough for a claimed batch to be dispatched.
    /// </summary>
    /// <value>Default 5 minutes; allowed 1 second to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = DefaultLeaseDuration;

    /// <summary>
    /// When <see langword="true"/>, a cycle claims one batch only, even when it comes back full (a strict
    /// "at most one batch per poll"). When <see langword="false"/>, full claims are followed by more claims
    /// until the backlog is drained.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool OneBatchPerCycle { get; set; }

    /// <summary>
    /// The time limit of one <see cref="IDeadLetterHandler"/> call. Handlers run on their own background loop, never in
    /// the way of outcome writes or cycles; when a call exceeds this limit its token fires, and a handler that ignores the
    /// token is logged and left behind so the next one runs.
    /// </summary>
    /// <value>Default 30 seconds; allowed 10 milliseconds to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan DeadLetterHandlerTimeout { get; set; } = DefaultDeadLetterHandlerTimeout;

    /// <summary>
    /// How long dispatch calls in flight may go on once the host starts stopping. Then (or when the host's own shutdown
    /// timeout fires, if that is sooner) they are cancelled, their records released, and the last outcomes written —
    /// all before the hosted dispatcher's <c>StopAsync</c> returns. Keep it below the host's
    /// <c>HostOptions.ShutdownTimeout</c> (30 seconds by default) with a margin of a few seconds for those writes; the
    /// default leaves 10 seconds of the default host timeout.
    /// </summary>
    /// <value>Default 20 seconds; allowed 0 (cancel at once) to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = DefaultShutdownGracePeriod;

    /// <summary>The largest accepted payload, in UTF-8 bytes; larger payloads are refused at enqueue.</summary>
    /// <value>Default 1 MiB (1,048,576); allowed 1 to 67,108,864 (64 MiB).</value>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = DefaultMaxPayloadBytes;

    /// <summary>
    /// Whether this host runs the background dispatcher. Set <see langword="false"/> in hosts that only enqueue,
    /// or that drive <see cref="IOutboxProcessor"/> themselves.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool RunDispatcher { get; set; } = true;

    /// <summary>
    /// The name of this instance, used in lease tokens (<c>locked_by</c> = <c>{InstanceId}/{random}/{sequence}</c>; the
    /// random part, drawn per process, keeps replicas that share one configured name apart) and telemetry.
    /// <see langword="null"/> means machine name, process ID and a random suffix.
    /// </summary>
    /// <value>Default <see langword="null"/>; at most 100 characters.</value>
    [MaxLength(100)]
    public string? InstanceId { get; set; }

    /// <summary>
    /// How long <c>SENT</c> records are kept. <see langword="null"/> keeps them for ever (full delivery history);
    /// a value turns on a periodic purge in bounded batches.
    /// </summary>
    /// <value>Default <see langword="null"/>; allowed 1 minute to 3,650 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan? SentRetention { get; set; }

    /// <summary>How often the purge runs when <see cref="SentRetention"/> is set.</summary>
    /// <value>Default 1 hour; allowed 1 minute to 7 days.</value>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The maximum number of rows one purge statement deletes. Capped at 2,000 in every store
    /// (<see cref="Storage.OutboxLimits.MaxPurgeBatchSize"/>): SQL Server escalates a statement that takes 5,000 locks
    /// to a table lock, which would block claims and business inserts while it runs.
    /// </summary>
    /// <value>Default 1,000; allowed 1 to 2,000.</value>
    [Range(1, Storage.OutboxLimits.MaxPurgeBatchSize)]
    public int PurgeBatchSize { get; set; } = 1000;

    /// <summary>
    /// Whether records of one aggregate are delivered one at a time, in enqueue order. With
    /// <see cref="OutboxOrdering.PerAggregate"/>, a record with an <see cref="OutboxEntry.AggregateId"/> is claimed only
    /// when every record of its aggregate enqueued before it is <c>SENT</c> (see <see cref="AfterDeadLetter"/>), on every
    /// instance; different aggregates still go in parallel up to <see cref="MaxConcurrency"/>, and a failing record holds
    /// up only the later records of its own aggregate. Records without an aggregate ID are unordered.
    /// </summary>
    /// <value>Default <see cref="OutboxOrdering.Unordered"/>.</value>
    [EnumDataType(typeof(OutboxOrdering))]
    public OutboxOrdering Ordering { get; set; } = OutboxOrdering.Unordered;

    /// <summary>
    /// With <see cref="OutboxOrdering.PerAggregate"/>: what a dead letter does to the later records of its aggregate.
    /// <see cref="AggregateDeadLetterMode.Hold"/> keeps them waiting until the dead letter is requeued (and sent) or
    /// deleted — <see cref="IOutboxAdmin.ListDeadLettersAsync(int, Guid?, CancellationToken)"/> lists the dead letters, and each one with an aggregate ID
    /// is what holds that aggregate; <see cref="AggregateDeadLetterMode.Continue"/> delivers them as if it were sent.
    /// </summary>
    /// <value>Default <see cref="AggregateDeadLetterMode.Hold"/>.</value>
    [EnumDataType(typeof(AggregateDeadLetterMode))]
    public AggregateDeadLetterMode AfterDeadLetter { get; set; } = AggregateDeadLetterMode.Hold;

    /// <summary>The outage circuit of each endpoint (section <c>OrderOutbox:Circuit</c>).</summary>
    public CircuitOptions Circuit { get; set; } = new();

    /// <summary>The retry schedule.</summary>
    public BackoffOptions Backoff { get; set; } = new();

    /// <summary>
    /// The serializer options used to turn payloads into JSON at enqueue.
    /// </summary>
    /// <value>Default <see cref="JsonSerializerDefaults.Web"/> (camelCase).</value>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// How often the backlog gauges of the <c>OrderOutbox</c> meter (<c>orderoutbox.backlog.due</c>,
    /// <c>orderoutbox.backlog.oldest_due_age</c>, <c>orderoutbox.backlog.leased</c>, <c>orderoutbox.dead_letters</c>)
    /// read the store's statistics at most. Scrapes in between get the cached values, so a busy scraper never adds
    /// database load.
    /// </summary>
    /// <value>Default 15 seconds; allowed 1 second to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan GaugeRefreshInterval { get; set; } = DefaultGaugeRefreshInterval;
}

/// <summary>
/// Options of the default <see cref="ExponentialBackoffPolicy"/> (section <c>OrderOutbox:Backoff</c>).
/// The delay before retry <i>n</i> is <c>InitialDelay × Multiplier^(n-1)</c>, capped at <see cref="MaxDelay"/>.
/// </summary>
public sealed class BackoffOptions
{
    /// <summary>The delay before the first retry.</summary>
    /// <value>Default 1 minute; allowed 1 millisecond to 1 day.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The factor between consecutive delays.</summary>
    /// <value>Default 2; allowed 1 to 10.</value>
    [Range(1.0, 10.0)]
    public double Multiplier { get; set; } = 2.0;

    /// <summary>The longest delay.</summary>
    /// <value>Default 1 hour; allowed 1 millisecond to 7 days.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The number of automatic retries after the first attempt. After the first attempt and this
    /// many retries have failed, the record becomes a dead letter. 0 dead-letters on the first failure.
    /// </summary>
    /// <value>Default 5; allowed 0 to 100.</value>
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>Whether to spread each delay randomly by up to ±20% (avoids retry storms after an outage).</summary>
    /// <value>Default <see langword="false"/> (exactly 1, 2, 4, 8, 16 minutes).</value>
    public bool UseJitter { get; set; }
}

/// <summary>The order in which records are delivered (<see cref="OutboxOptions.Ordering"/>).</summary>
public enum OutboxOrdering
{
    /// <summary>No order: any due record may be delivered at any time, in parallel with any other.</summary>
    Unordered = 0,

    /// <summary>Records of one aggregate one at a time, in enqueue order; different aggregates in parallel.</summary>
    PerAggregate = 1,
}

/// <summary>What a dead letter does to the later records of its aggregate (<see cref="OutboxOptions.AfterDeadLetter"/>).</summary>
public enum AggregateDeadLetterMode
{
    /// <summary>The later records wait until the dead letter is requeued and sent, or deleted.</summary>
    Hold = 0,

    /// <summary>The later records are delivered as if the dead letter had been sent.</summary>
    Continue = 1,
}
