using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderOutbox.PostgreSql;
using Xunit;
using OrderOutbox.Storage;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>UsePostgreSql: registrations, start-up validation, configuration binding, schema creation at start.</summary>
public sealed class PostgreSqlOrderOutboxBuilderExtensionsTests(PostgreSqlOutboxStoreFixture fixture) : IClassFixture<PostgreSqlOutboxStoreFixture>
{
    private const string UnusedConnectionString = "Host=127.0.0.1;Port=1;Username=nobody";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void UsePostgreSql_registers_one_store_as_store_and_admin()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOrderOutbox().UsePostgreSql(UnusedConnectionString)
            .UseHttpDispatcher(http => http.Endpoint = new Uri("http://127.0.0.1:9/"));
        using ServiceProvider provider = services.BuildServiceProvider();

        IOutboxStore store = provider.GetRequiredService<IOutboxStore>();
        store.Should().BeOfType<PostgreSqlOutboxStore>();
        provider.GetRequiredService<IOutboxAdmin>().Should().BeSameAs(store);
        provider.GetServices<IHostedService>().Select(s => s.GetType())
            .Should().Contain([typeof(OutboxSchemaInitializer<PostgreSqlOutboxStore, PostgreSqlOutboxOptions>), typeof(PostgreSqlWakeUpListener)]);
    }

    [Fact]
    public void UsePostgreSql_called_twice_registers_one_validator_one_store_and_one_of_each_hosted_service()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        OrderOutboxBuilder builder = services.AddOrderOutbox();
        builder.UsePostgreSql(UnusedConnectionString);
        builder.UsePostgreSql(UnusedConnectionString, o => o.TableName = "second");

        services.Count(d => d.ServiceType == typeof(IValidateOptions<PostgreSqlOutboxOptions>)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(PostgreSqlOutboxStore)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IOutboxStore)).Should().Be(1);
        services.Count(d => d.ImplementationType == typeof(PostgreSqlWakeUpListener)).Should().Be(1);
        services.Count(d => d.ImplementationType == typeof(OutboxSchemaInitializer<PostgreSqlOutboxStore, PostgreSqlOutboxOptions>)).Should().Be(1);
        using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value.TableName.Should().Be("second");
    }

    [Fact]
    public void A_store_registered_before_is_kept()
    {
        var services = new ServiceCollection();
        var mine = NSubstitute.Substitute.For<IOutboxStore>();
        services.AddSingleton(mine);
        services.AddOrderOutbox().UsePostgreSql(UnusedConnectionString);
        using ServiceProvider provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOutboxStore>().Should().BeSameAs(mine);
    }

    [Theory]
    [InlineData("TableName", "x; drop table y")]
    [InlineData("Schema", "public\"")]
    [InlineData("NotificationChannel", "a-b")]
    public void An_invalid_identifier_fails_validation_naming_the_option_the_value_and_the_pattern(string option, string value)
    {
        var services = new ServiceCollection();
        services.AddOrderOutbox().UsePostgreSql(UnusedConnectionString, o =>
        {
            switch (option)
            {
                case "TableName": o.TableName = value; break;
                case "Schema": o.Schema = value; break;
                default: o.NotificationChannel = value; break;
            }
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        Action act = () => _ = provider.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should()
            .Contain("PostgreSqlOutboxOptions." + option).And.Contain(value).And.Contain(SqlIdentifier.Pattern);
    }

    [Theory]
    [InlineData(-1L, false)]
    [InlineData(0L, true)]                      // every enqueue notifies
    [InlineData(10_000L, true)]                 // 1 ms
    [InlineData(50_000L, true)]                 // the default, 5 ms
    [InlineData(10_000_000L, true)]             // 1 s, the largest
    [InlineData(10_000_001L, false)]
    [InlineData(600_000_000L, false)]           // 1 minute
    public void NotificationCooldown_is_validated_at_start_naming_the_option_the_value_and_the_range(long ticks, bool valid)
    {
        var cooldown = TimeSpan.FromTicks(ticks);
        var services = new ServiceCollection();
        services.AddOrderOutbox().UsePostgreSql(UnusedConnectionString, o => o.NotificationCooldown = cooldown);
        using ServiceProvider provider = services.BuildServiceProvider();

        Func<PostgreSqlOutboxOptions> act = () => provider.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value;

        if (valid)
        {
            act().NotificationCooldown.Should().Be(cooldown);
        }
        else
        {
            act.Should().Throw<OptionsValidationException>().Which.Message.Should()
                .Contain("PostgreSqlOutboxOptions.NotificationCooldown").And.Contain(cooldown.ToString()).And.Contain("00:00:01");
        }
    }

    [Fact]
    public void The_default_NotificationCooldown_is_5_milliseconds()
        => new PostgreSqlOutboxOptions().NotificationCooldown.Should().Be(TimeSpan.FromMilliseconds(5)).And.Be(PostgreSqlOutboxOptions.DefaultNotificationCooldown);

    [Fact]
    public void A_missing_connection_string_fails_validation_naming_the_fix()
    {
        var services = new ServiceCollection();
        services.AddOrderOutbox().UsePostgreSql(new ConfigurationBuilder().Build());
        using ServiceProvider provider = services.BuildServiceProvider();

        Action act = () => _ = provider.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("PostgreSqlOutboxOptions.ConnectionString");
    }

    [Fact]
    public async Task A_bad_option_stops_the_host_at_start()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddOrderOutbox(o => o.RunDispatcher = false).UsePostgreSql(UnusedConnectionString, o => o.TableName = "x; drop table y");
        using IHost host = builder.Build();

        Func<Task> start = () => host.StartAsync(Ct);

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("PostgreSqlOutboxOptions.TableName");
    }

    [Fact]
    public async Task Options_bound_from_configuration_are_used_and_the_schema_is_created_at_start()
    {
        string table = "cfg_" + Guid.NewGuid().ToString("N")[..12];
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:PostgreSql:ConnectionString"] = fixture.ConnectionString,
            ["OrderOutbox:PostgreSql:Schema"] = fixture.Schema,
            ["OrderOutbox:PostgreSql:TableName"] = table,
            ["OrderOutbox:PostgreSql:EnsureSchemaOnStartup"] = "true",
            ["OrderOutbox:PostgreSql:UseNotifications"] = "false",
            ["OrderOutbox:PostgreSql:CommandTimeout"] = "00:00:20",
        }).Build();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddOrderOutbox(o => o.RunDispatcher = false).UsePostgreSql(configuration.GetSection("OrderOutbox:PostgreSql"));
        using IHost host = builder.Build();

        await host.StartAsync(Ct);

        PostgreSqlOutboxOptions options = host.Services.GetRequiredService<IOptions<PostgreSqlOutboxOptions>>().Value;
        options.TableName.Should().Be(table);
        options.UseNotifications.Should().BeFalse();
        options.CommandTimeout.Should().Be(TimeSpan.FromSeconds(20));
        (await fixture.ExecuteScalarAsync($"SELECT to_regclass('\"{fixture.Schema}\".\"{table}\"') IS NOT NULL", Ct)).Should().Be(true);
        (await host.Services.GetRequiredService<IOutboxAdmin>().GetStatisticsAsync(Ct)).Pending.Should().Be(0);
        await host.StopAsync(Ct);
    }

    [Fact]
    public async Task UsePostgreSql_with_a_data_source_uses_it_and_does_not_dispose_it()
    {
        string table = "ds_" + Guid.NewGuid().ToString("N")[..12];
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOrderOutbox().UsePostgreSql(fixture.DataSource, o =>
        {
            o.Schema = fixture.Schema;
            o.TableName = table;
        });
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<IOutboxStore>().EnsureSchemaAsync(Ct);
        }

        (await fixture.ExecuteScalarAsync($"SELECT to_regclass('\"{fixture.Schema}\".\"{table}\"') IS NOT NULL", Ct))
            .Should().Be(true, "the application's data source still works after the container is disposed");
    }
}
