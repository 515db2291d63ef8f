using System.Net;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OrderOutbox.Tests.PostgreSql;
using OrderOutbox.Tests.Support;
using Xunit;

namespace OrderOutbox.Tests.HealthChecks;

public sealed class PostgreSqlHealthCheckHostTests(PostgreSqlOutboxStoreFixture fixture) : HealthCheckHostTests<PostgreSqlOutboxStoreFixture>(fixture)
{
    protected override void UseStore(OrderOutboxBuilder builder, string table)
        => builder.UsePostgreSql(Fixture.ConnectionString, o =>
        {
            o.Schema = Fixture.Schema;
            o.TableName = table;
            o.EnsureSchemaOnStartup = true;
            o.UseNotifications = false;
        });

    // Port 1 on the loopback: nothing listens, every connection is refused.
    protected override void UseUnreachableStore(OrderOutboxBuilder builder)
        => builder.UsePostgreSql(
            new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { Host = "127.0.0.1", Port = 1, Timeout = 3 }.ConnectionString,
            o => o.UseNotifications = false);

    [Fact]
    public async Task Dropping_the_database_under_a_running_host_turns_the_check_unhealthy()
    {
        string database = "oo_hc_" + Guid.NewGuid().ToString("N")[..12];
        await Fixture.ExecuteScalarAsync($"CREATE DATABASE \"{database}\"", Ct);
        string connectionString = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { Database = database }.ConnectionString;
        HealthCheckHost host = await HealthCheckHost.StartAsync(
            services =>
            {
                services.AddSingleton<IDispatcher>(new TestDispatcher(TimeProvider.System, (_, _) => DispatchResult.Success));
                services.AddOrderOutbox(o => o.PollingInterval = TimeSpan.FromMilliseconds(50))
                    .UsePostgreSql(connectionString, o =>
                    {
                        o.EnsureSchemaOnStartup = true;
                        o.UseNotifications = false;
                    });
                services.AddHealthChecks().AddOrderOutbox();
            },
            Ct);
        try
        {
            await WaitForACycleAsync(host);
            (await host.GetAsync(Ct)).Status.Should().Be("Healthy");

            await Fixture.ExecuteScalarAsync($"DROP DATABASE \"{database}\" WITH (FORCE)", Ct);
            HealthResponse response = await host.GetAsync(Ct);

            response.HttpStatus.Should().Be(HttpStatusCode.ServiceUnavailable);
            response.Status.Should().Be("Unhealthy");
            response.Description.Should().StartWith("The outbox store cannot be reached: ");
        }
        finally
        {
            await host.DisposeAsync();
            await Fixture.ExecuteScalarAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", Ct);
        }
    }
}
