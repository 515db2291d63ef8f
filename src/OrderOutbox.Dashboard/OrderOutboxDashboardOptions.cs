using System.ComponentModel.DataAnnotations;

namespace OrderOutbox.Dashboard;

/// <summary>
/// Options of the OrderOutbox dashboard, set with <c>services.AddOrderOutboxDashboard(o =&gt; …)</c> and validated when the
/// host starts. The dashboard refuses every request until <see cref="AuthorizationPolicy"/> names a policy or
/// <see cref="AllowAnonymous"/> is set.
/// </summary>
public sealed class OrderOutboxDashboardOptions
{
    /// <summary>The default <see cref="PageSize"/>: 50 dead letters per page.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The largest <see cref="PageSize"/> and the largest page a client may ask for: 1,000.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>The default <see cref="PurgeBatchSize"/>: 1,000 rows per <c>DELETE</c>.</summary>
    public const int DefaultPurgeBatchSize = 1000;

    /// <summary>The largest number of IDs one "requeue selected" request may carry: 1,000.</summary>
    public const int MaxSelectedIds = 1000;

    /// <summary>The default <see cref="RefreshInterval"/>: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The name of the ASP.NET Core authorization policy a user must satisfy to use the dashboard at all (see it, requeue,
    /// purge). The policy must be registered with <c>AddAuthorization(o =&gt; o.AddPolicy(name, …))</c>; the host fails to
    /// start when it is not.
    /// </summary>
    /// <value>Default <see langword="null"/>: every request is refused unless <see cref="AllowAnonymous"/> is set.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// The name of a second authorization policy a user must also satisfy to see the payload and headers of a record.
    /// Users without it see everything else (type, status, times, last error).
    /// </summary>
    /// <value>Default <see langword="null"/>: payloads and headers are shown to nobody.</value>
    public string? PayloadAuthorizationPolicy { get; set; }

    /// <summary>
    /// Lets anyone who can reach the dashboard use it, without authentication. For local development only; a warning
    /// is logged when the host starts. Cannot be combined with <see cref="AuthorizationPolicy"/>.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>How many dead letters the page shows at a time.</summary>
    /// <value>Default 50; allowed 1 to 1,000.</value>
    [Range(1, MaxPageSize)]
    public int PageSize { get; set; } = DefaultPageSize;

    /// <summary>How often the page refreshes the counts.</summary>
    /// <value>Default 5 seconds; allowed 1 second to 1 hour.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>How many dead letters one statement of a requeue (selected or by filter) moves at most; each batch is its own short transaction.</summary>
    /// <value>Default 1,000; allowed 1 to 2,000.</value>
    [Range(1, DeadLetterFilter.MaxBatchSize)]
    public int RequeueBatchSize { get; set; } = DeadLetterFilter.DefaultBatchSize;

    /// <summary>How many <c>SENT</c> rows one <c>DELETE</c> of a purge removes at most.</summary>
    /// <value>Default 1,000; allowed 1 to 2,000 (below SQL Server's lock escalation).</value>
    [Range(1, OrderOutbox.Storage.OutboxLimits.MaxPurgeBatchSize)]
    public int PurgeBatchSize { get; set; } = DefaultPurgeBatchSize;
}
