using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NSubstitute;
using OrderOutbox.Sqlite;
using Xunit;

namespace OrderOutbox.Tests.Sqlite;

/// <summary><c>UseSqlite</c>: registrations, options binding and validation at start-up, schema creation at start-up.</summary>
public sealed class SqliteOrderOutboxBuilderExtensionsTests(SqliteTestDatabase database) : IClassFixture<SqliteTestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void UseSqlite_registers_one_store_as_IOutboxStore_and_IOutboxAdmin()
    {
        var services = new ServiceCollection();
        new OrderOutboxBuilder(services).UseSqlite(database.ConnectionString, o => o.TableName = "di_table");
        using ServiceProvider provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IOutboxStore>();
        store.Should().BeOfType<SqliteOutboxStore>();
        provider.GetRequiredService<IOutboxAdmin>().Should().BeSameAs(store);
        provider.GetRequiredService<SqliteOutboxStore>().Should().BeSameAs(store);
        ((SqliteOutboxStore)store).Sql.Table.Should().Be("di_table");
    }

    [Fact]
    public void UseSqlite_keeps_a_store_the_application_registered_first()
    {
        var services = new ServiceCollection();
        var mine = Substitute.For<IOutboxStore>();
        services.AddSingleton(mine);
        new OrderOutboxBuilder(services).UseSqlite(database.ConnectionString);
        using ServiceProvider provider = services.BuildServiceProvider();

        provider.GetRequiredService<IOutboxStore>().Should().BeSameAs(mine);
    }

    [Fact]
    public async Task EnsureSchemaOnStartup_creates_the_table_before_any_hosted_service_starts()
    {
        string table = SqliteTestDatabase.NewTableName("startup");
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var probe = new TableProbe(database, table);
        builder.Services.AddHostedService(_ => probe); // registered BEFORE the store: order of registration is not what makes it work
        builder.Services.AddLogging();
        new OrderOutboxBuilder(builder.Services).UseSqlite(database.ConnectionString, o =>
        {
            o.TableName = table;
            o.EnsureSchemaOnStartup = true;
        });
        using IHost host = builder.Build();

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);

        probe.TableExistedAtStart.Should().BeTrue();
    }

    [Fact]
    public async Task Without_EnsureSchemaOnStartup_the_host_creates_nothing()
    {
        string table = SqliteTestDatabase.NewTableName("nostartup");
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlite(database.ConnectionString, o => o.TableName = table);
        using IHost host = builder.Build();

        await host.StartAsync(Ct);
        await host.StopAsync(Ct);

        (await database.ExecuteScalarAsync($"SELECT count(*) FROM sqlite_master WHERE name = '{table}'", Ct)).Should().Be(0L);
    }

    [Theory]
    [InlineData("bad name", null, "SqliteOutboxOptions.TableName")]
    [InlineData("outbox", "main", "SqliteOutboxOptions.Schema")]
    public async Task An_invalid_option_stops_the_host_at_start_naming_the_option(string table, string? schema, string expected)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlite(database.ConnectionString, o =>
        {
            o.TableName = table;
            o.Schema = schema;
        });
        using IHost host = builder.Build();

        Func<Task> act = () => host.StartAsync(Ct);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(expected);
    }

    [Fact]
    public async Task A_configuration_section_without_a_connection_string_stops_the_host_at_start()
    {
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:Sqlite:TableName"] = "outbox",
        }).Build().GetSection("OrderOutbox:Sqlite");
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlite(section);
        using IHost host = builder.Build();

        Func<Task> act = () => host.StartAsync(Ct);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("SqliteOutboxOptions.ConnectionString");
    }

    [Fact]
    public async Task UseSqlite_binds_every_option_from_a_configuration_section()
    {
        string table = SqliteTestDatabase.NewTableName("cfg");
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:Sqlite:ConnectionString"] = database.ConnectionString,
            ["OrderOutbox:Sqlite:TableName"] = table,
            ["OrderOutbox:Sqlite:CommandTimeout"] = "00:00:07",
            ["OrderOutbox:Sqlite:EnsureSchemaOnStartup"] = "true",
        }).Build().GetSection("OrderOutbox:Sqlite");
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlite(section);
        using IHost host = builder.Build();

        await host.StartAsync(Ct);
        SqliteOutboxOptions options = host.Services.GetRequiredService<IOptions<SqliteOutboxOptions>>().Value;
        var store = host.Services.GetRequiredService<SqliteOutboxStore>();
        await using var connection = await store.OpenAsync(Ct);
        await host.StopAsync(Ct);

        options.ConnectionString.Should().Be(database.ConnectionString);
        options.TableName.Should().Be(table);
        options.CommandTimeout.Should().Be(TimeSpan.FromSeconds(7));
        connection.DefaultTimeout.Should().Be(7);
        (await database.ExecuteScalarAsync($"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'", Ct)).Should().Be(1L);
    }

    private sealed class TableProbe(SqliteTestDatabase database, string table) : IHostedService
    {
        public bool? TableExistedAtStart { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken)
            => TableExistedAtStart = (long)(await database.ExecuteScalarAsync(
                $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'", cancellationToken))! == 1;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
