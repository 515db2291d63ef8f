using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderOutbox.Dashboard;

/// <summary>
/// The dashboard's handlers: the page and its assets, JSON reads (session, statistics, dead letters, one record) and
/// the state-changing POSTs (requeue one, selected or matching a filter; purge). Records are only ever sent as JSON, never as HTML.
/// </summary>
internal sealed partial class DashboardEndpoints
{
    private readonly IOutboxAdmin _admin;
    private readonly OrderOutboxDashboardOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DashboardEndpoints> _logger;

    public DashboardEndpoints(IOutboxAdmin admin, IOptions<OrderOutboxDashboardOptions> options, TimeProvider time, ILogger<DashboardEndpoints> logger)
    {
        _admin = admin;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public static IResult Page(HttpContext context)
    {
        // Relative URLs in the page (assets/…, api/…) need the trailing slash.
        PathString path = context.Request.PathBase + context.Request.Path;
        if (!path.HasValue || !path.Value!.EndsWith('/'))
        {
            return TypedResults.Redirect(path + "/" + context.Request.QueryString);
        }

        return Asset("index.html");
    }

    public static IResult Asset(string name)
        => DashboardAssets.TryGet(name, out string contentType, out byte[] content)
            ? TypedResults.Bytes(content, contentType)
            : TypedResults.NotFound();

    public async Task<Ok<DashboardSession>> SessionAsync(HttpContext context, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions)
    {
        AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(context);
        bool canSeePayloads = await CanSeePayloadsAsync(context).ConfigureAwait(false);
        return TypedResults.Ok(new DashboardSession(
            antiforgeryOptions.Value.HeaderName ?? "RequestVerificationToken",
            tokens.RequestToken,
            canSeePayloads,
            _options.RefreshInterval.TotalSeconds,
            _options.PageSize));
    }

    public async Task<Ok<DashboardStatistics>> StatisticsAsync(CancellationToken cancellationToken)
    {
        OutboxStatistics statistics = await _admin.GetStatisticsAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(DashboardStatistics.From(statistics, _time.GetUtcNow()));
    }

    public async Task<Results<Ok<DeadLetterPage>, ProblemHttpResult>> DeadLettersAsync(string? limit, string? after, DeadLetterFilterRequest filterRequest, CancellationToken cancellationToken)
    {
        Parsed<int> pageSize = DashboardInput.Limit(limit, _options.PageSize);
        Parsed<Guid?> cursor = DashboardInput.After(after);
        Parsed<DeadLetterFilter> filter = DashboardInput.Filter(filterRequest);
        if ((pageSize.Error ?? cursor.Error ?? filter.Error) is { } error)
        {
            return BadRequest(error);
        }

        IReadOnlyList<OutboxMessage> page = await _admin.ListDeadLettersAsync(filter.Value, pageSize.Value, cursor.Value, cancellationToken).ConfigureAwait(false);
        Guid? next = page.Count == pageSize.Value ? page[^1].Id : null;
        return TypedResults.Ok(new DeadLetterPage(page.Select(DeadLetterRow.From).ToList(), next));
    }

    public async Task<Results<Ok<MessageDetail>, NotFound, ProblemHttpResult>> MessageAsync(string id, HttpContext context, CancellationToken cancellationToken)
    {
        Parsed<Guid> parsed = DashboardInput.Id(id);
        if (parsed.Error is { } error)
        {
            return BadRequest(error);
        }

        OutboxMessage? message = await _admin.GetAsync(parsed.Value, cancellationToken).ConfigureAwait(false);
        if (message is null)
        {
            return TypedResults.NotFound();
        }

        bool payloadVisible = await CanSeePayloadsAsync(context).ConfigureAwait(false);
        return TypedResults.Ok(MessageDetail.From(message, payloadVisible));
    }

    public async Task<Results<Ok<ActionResult>, NotFound, ProblemHttpResult>> RequeueOneAsync(string id, HttpContext context, CancellationToken cancellationToken)
    {
        Parsed<Guid> parsed = DashboardInput.Id(id);
        if (parsed.Error is { } error)
        {
            return BadRequest(error);
        }

        if (!await _admin.RequeueDeadLetterAsync(parsed.Value, cancellationToken).ConfigureAwait(false))
        {
            return TypedResults.NotFound();
        }

        LogRequeuedOne(context.User.Identity?.Name, parsed.Value);
        return TypedResults.Ok(new ActionResult(1));
    }

    public async Task<Results<Ok<ActionResult>, ProblemHttpResult>> RequeueSelectedAsync(RequeueSelectedRequest? request, HttpContext context, CancellationToken cancellationToken)
    {
        Parsed<IReadOnlyList<Guid>> ids = DashboardInput.Ids(request?.Ids);
        if (ids.Error is { } error)
        {
            return BadRequest(error);
        }

        long requeued = await _admin.RequeueDeadLettersAsync(new DeadLetterFilter { Ids = ids.Value }, _options.RequeueBatchSize, cancellationToken: cancellationToken).ConfigureAwait(false);
        LogRequeuedSelected(context.User.Identity?.Name, requeued, ids.Value.Count);
        return TypedResults.Ok(new ActionResult(requeued));
    }

    public async Task<Results<Ok<ActionResult>, ProblemHttpResult>> CountMatchingAsync(DeadLetterFilterRequest filterRequest, CancellationToken cancellationToken)
    {
        Parsed<DeadLetterFilter> filter = DashboardInput.Filter(filterRequest);
        if (filter.Error is { } error)
        {
            return BadRequest(error);
        }

        long count = await _admin.CountDeadLettersAsync(filter.Value, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new ActionResult(count));
    }

    public async Task<Results<Ok<ActionResult>, ProblemHttpResult>> RequeueMatchingAsync(DeadLetterFilterRequest? filterRequest, HttpContext context, CancellationToken cancellationToken)
    {
        Parsed<DeadLetterFilter> filter = DashboardInput.Filter(filterRequest);
        if (filter.Error is { } error)
        {
            return BadRequest(error);
        }

        long requeued = await _admin.RequeueDeadLettersAsync(filter.Value, _options.RequeueBatchSize, cancellationToken: cancellationToken).ConfigureAwait(false);
        LogRequeuedMatching(context.User.Identity?.Name, requeued, filter.Value);
        return TypedResults.Ok(new ActionResult(requeued));
    }

    public async Task<Results<Ok<ActionResult>, ProblemHttpResult>> PurgeAsync(PurgeRequest? request, HttpContext context, CancellationToken cancellationToken)
    {
        Parsed<DateTimeOffset> sentBefore = DashboardInput.SentBefore(request?.SentBefore, _time.GetUtcNow());
        if (sentBefore.Error is { } error)
        {
            return BadRequest(error);
        }

        long deleted = await _admin.PurgeSentAsync(sentBefore.Value, _options.PurgeBatchSize, cancellationToken).ConfigureAwait(false);
        LogPurged(context.User.Identity?.Name, deleted, sentBefore.Value);
        return TypedResults.Ok(new ActionResult(deleted));
    }

    private async Task<bool> CanSeePayloadsAsync(HttpContext context)
    {
        if (_options.PayloadAuthorizationPolicy is not { } policy)
        {
            return false;
        }

        var authorization = (IAuthorizationService)context.RequestServices.GetService(typeof(IAuthorizationService))!;
        AuthorizationResult result = await authorization.AuthorizeAsync(context.User, policy).ConfigureAwait(false);
        return result.Succeeded;
    }


    private static ProblemHttpResult BadRequest(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid");
}
