using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests.Support;

/// <summary>
/// One database for a test class: the EF Core provider that writes, and the Dapper store of the same database that
/// claims, reads and delivers — one table, two writers.
/// </summary>
public interface IEfStoreFixture : IAsyncLifetime
{
    /// <summary>The schema the tests' tables go to, or <see langword="null"/> (SQLite).</summary>
    string? Schema { get; }

    /// <summary>How often the dispatcher host polls: long where a wake-up must do the work (PostgreSQL).</summary>
    TimeSpan PollingInterval { get; }

    /// <summary>Configures the EF Core provider (<c>UseSqlite</c>, <c>UseNpgsql</c>, <c>UseSqlServer</c>).</summary>
    void UseProvider(DbContextOptionsBuilder builder);

    /// <summary>The Dapper store over <paramref name="table"/> (its schema is not created yet).</summary>
    OutboxStoreHandle CreateStore(string table, TimeProvider timeProvider);

    /// <summary>Registers the Dapper store over <paramref name="table"/> in a dispatcher host, creating its schema at start.</summary>
    void UseStore(OrderOutboxBuilder builder, string table);
}

/// <summary>The Dapper store as the dispatcher sees it and as the admin reads it.</summary>
public sealed record OutboxStoreHandle(IOutboxStore Store, IOutboxAdmin Admin);
