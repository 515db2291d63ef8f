using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrderOutbox.Dashboard;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the OrderOutbox dashboard: <c>app.MapOrderOutboxDashboard("/outbox")</c>.</summary>
public static class OrderOutboxDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the dashboard page, its embedded assets and its JSON API under <paramref name="pattern"/>. Every endpoint
    /// requires <see cref="OrderOutboxDashboardOptions.AuthorizationPolicy"/> (or is open when
    /// <see cref="OrderOutboxDashboardOptions.AllowAnonymous"/> is set; with neither, every request is answered 403).
    /// State-changing actions are POSTs that must carry the antiforgery token the page obtains from the dashboard itself.
    /// Call <c>services.AddOrderOutboxDashboard(…)</c> first.
    /// </summary>
    /// <param name="endpoints">The application's endpoints (<c>app</c>).</param>
    /// <param name="pattern">The path prefix, for example <c>/outbox</c>; must start with <c>/</c>.</param>
    /// <returns>The route group, to add conventions (for example <c>RequireHost</c>).</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> does not start with <c>/</c>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddOrderOutboxDashboard</c> was not called.</exception>
    public static RouteGroupBuilder MapOrderOutboxDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/outbox")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        if (!pattern.StartsWith('/') || pattern.Contains('{', StringComparison.Ordinal))
        {
            throw new ArgumentException($"pattern = '{pattern}': the dashboard's path must start with '/' and hold no route parameters, for example \"/outbox\".", nameof(pattern));
        }

        if (endpoints.ServiceProvider.GetService<DashboardMarker>() is null)
        {
            throw new InvalidOperationException("MapOrderOutboxDashboard needs builder.Services.AddOrderOutboxDashboard(o => o.AuthorizationPolicy = \"…\") first.");
        }

        OrderOutboxDashboardOptions options = endpoints.ServiceProvider.GetRequiredService<IOptions<OrderOutboxDashboardOptions>>().Value;
        RouteGroupBuilder group = endpoints.MapGroup(pattern.TrimEnd('/'));
        group.ExcludeFromDescription();
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }
        else if (options.AllowAnonymous)
        {
            group.AllowAnonymous();
        }
        else
        {
            group.AddEndpointFilter(RefuseUnconfigured);
        }

        group.AddEndpointFilter(AddSecurityHeaders);

        group.MapGet("/", DashboardEndpoints.Page);
        group.MapGet("/assets/{name}", (string name) => DashboardEndpoints.Asset(name));
        group.MapGet("/api/session", (DashboardEndpoints e, HttpContext c, IAntiforgery a, IOptions<AntiforgeryOptions> o) => e.SessionAsync(c, a, o));
        group.MapGet("/api/statistics", (DashboardEndpoints e, CancellationToken ct) => e.StatisticsAsync(ct));
        group.MapGet("/api/dead-letters", (DashboardEndpoints e, string? limit, string? after, [AsParameters] DeadLetterFilterRequest filter, CancellationToken ct) => e.DeadLettersAsync(limit, after, filter, ct));
        group.MapGet("/api/dead-letters/count", (DashboardEndpoints e, [AsParameters] DeadLetterFilterRequest filter, CancellationToken ct) => e.CountMatchingAsync(filter, ct));
        group.MapGet("/api/messages/{id}", (DashboardEndpoints e, string id, HttpContext c, CancellationToken ct) => e.MessageAsync(id, c, ct));

        RouteGroupBuilder actions = group.MapGroup("/api");
        actions.AddEndpointFilter(ValidateAntiforgery);
        actions.MapPost("/dead-letters/{id}/requeue", (DashboardEndpoints e, string id, HttpContext c, CancellationToken ct) => e.RequeueOneAsync(id, c, ct));
        actions.MapPost("/dead-letters/requeue-selected", (DashboardEndpoints e, RequeueSelectedRequest? body, HttpContext c, CancellationToken ct) => e.RequeueSelectedAsync(body, c, ct));
        actions.MapPost("/dead-letters/requeue-matching", (DashboardEndpoints e, DeadLetterFilterRequest? body, HttpContext c, CancellationToken ct) => e.RequeueMatchingAsync(body, c, ct));
        actions.MapPost("/purge", (DashboardEndpoints e, PurgeRequest? body, HttpContext c, CancellationToken ct) => e.PurgeAsync(body, c, ct));
        return group;
    }

    private static ValueTask<object?> RefuseUnconfigured(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        => ValueTask.FromResult<object?>(TypedResults.Problem(
            "The OrderOutbox dashboard refuses every request until the host sets OrderOutboxDashboardOptions.AuthorizationPolicy " +
            "(or AllowAnonymous = true for local development).",
            statusCode: StatusCodes.Status403Forbidden,
            title: "The dashboard has no authorization policy"));

    private static ValueTask<object?> AddSecurityHeaders(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        IHeaderDictionary headers = context.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        return next(context);
    }

    private static async ValueTask<object?> ValidateAntiforgery(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        IAntiforgery antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(context.HttpContext).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            return TypedResults.Problem(
                "The antiforgery token is missing or not valid for this user: reload the dashboard page and try again.",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Antiforgery validation failed");
        }

        return await next(context).ConfigureAwait(false);
    }
}
