using Microsoft.Extensions.DependencyInjection;

namespace OrderOutbox;

/// <summary>
/// Returned by <c>AddOrderOutbox</c>; the store packages (<c>UsePostgreSql</c>, <c>UseSqlServer</c>,
/// <c>UseSqlite</c>) and <c>UseHttpDispatcher</c> extend it.
/// </summary>
public sealed class OrderOutboxBuilder
{
    /// <summary>Creates a builder over <paramref name="services"/>.</summary>
    /// <param name="services">The service collection.</param>
    public OrderOutboxBuilder(IServiceCollection services)
        => Services = services ?? throw new ArgumentNullException(nameof(services));

    /// <summary>The service collection the outbox is registered in.</summary>
    public IServiceCollection Services { get; }
}
