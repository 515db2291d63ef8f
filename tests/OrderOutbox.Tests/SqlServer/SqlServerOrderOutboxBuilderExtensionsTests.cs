using Dapper;
using FluentAssertions;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.SqlServer;

/// <summary>
/// <c>UseSqlServer</c> and the store's construction, which need no server: registrations, the data-source overload,
/// configuration binding, option validation at start-up.
/// </summary>
public sealed class SqlServerOrderOutboxBuilderExtensionsTests
{
    private const string ConnectionString = "Server=127.0.0.1,1;Database=unused;Connect Timeout=1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void UseSqlServer_registers_one_store_as_IOutboxStore_and_IOutboxAdmin()
    {
        var services = new ServiceCollection();
        new OrderOutboxBuilder(services).UseSqlServer(ConnectionString, o =>
        {
            o.Schema = "ops";
            o.TableName = "outbox";
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IOutboxStore>();
        store.Should().BeOfType<SqlServerOutboxStore>();
        provider.GetRequiredService<IOutboxAdmin>().Should().BeSameAs(store);
        ((SqlServerOutboxStore)store).Sql.Claim.Should().Contain("FROM [ops].[outbox] WITH (UPDLOCK, READPAST, ROWLOCK, READCOMMITTEDLOCK)");
    }

    [Fact]
    public async Task UseSqlServer_takes_a_DbDataSource_from_SqlClientFactory_and_needs_no_connection_string()
    {
        using var dataSource = SqlClientFactory.Instance.CreateDataSource(ConnectionString);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlServer(dataSource);
        using IHost host = builder.Build();

        await host.StartAsync(Ct); // validation passes without ConnectionString; nothing connects (no EnsureSchemaOnStartup)
        var store = host.Services.GetRequiredService<IOutboxStore>();
        await host.StopAsync(Ct);

        store.Should().BeOfType<SqlServerOutboxStore>().Which.Sql.Insert.Should().Contain("INSERT INTO [dbo].[outbox_messages]");
    }

    [Fact]
    public void A_data_source_of_another_provider_is_rejected()
    {
        using var sqlite = SqliteFactory.Instance.CreateDataSource("Data Source=:memory:");

        Action act = () => _ = new SqlServerOutboxStore(sqlite, new SqlServerOutboxOptions());

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("Microsoft.Data.SqlClient");
    }

    [Fact]
    public async Task Enqueue_rejects_another_providers_transaction_naming_the_expected_type()
    {
        var store = new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = ConnectionString });
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);

        Func<Task> act = () => store.EnqueueAsync(transaction, new OutboxEntry(Guid.NewGuid(), "t", null, "{}", null, DateTimeOffset.UnixEpoch), Ct);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("SqlTransaction");
    }

    [Theory]
    [InlineData("table", "SqlServerOutboxOptions.TableName")]
    [InlineData("schema", "SqlServerOutboxOptions.Schema")]
    [InlineData("timeout", "SqlServerOutboxOptions.CommandTimeout")]
    [InlineData("connection", "SqlServerOutboxOptions.ConnectionString")]
    public async Task An_invalid_option_stops_the_host_at_start_naming_the_option(string problem, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionString"] = problem == "connection" ? null : ConnectionString,
            ["TableName"] = problem == "table" ? "outbox]; DROP TABLE x; --" : "outbox",
            ["Schema"] = problem == "schema" ? "dbo.x" : null,
            ["CommandTimeout"] = problem == "timeout" ? "02:00:00" : "00:00:30",
        };
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        new OrderOutboxBuilder(builder.Services).UseSqlServer(section);
        using IHost host = builder.Build();

        Func<Task> act = () => host.StartAsync(Ct);

        (await act.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(expected);
    }

    [Fact]
    public async Task UseSqlServer_binds_every_option_from_a_configuration_section()
    {
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OrderOutbox:SqlServer:ConnectionString"] = ConnectionString,
            ["OrderOutbox:SqlServer:Schema"] = "messaging",
            ["OrderOutbox:SqlServer:TableName"] = "order_outbox",
            ["OrderOutbox:SqlServer:CommandTimeout"] = "00:01:00",
        }).Build().GetSection("OrderOutbox:SqlServer");
        var services = new ServiceCollection();
        new OrderOutboxBuilder(services).UseSqlServer(section);
        using ServiceProvider provider = services.BuildServiceProvider();

        SqlServerOutboxOptions options = provider.GetRequiredService<IOptions<SqlServerOutboxOptions>>().Value;
        var store = provider.GetRequiredService<SqlServerOutboxStore>();

        options.ConnectionString.Should().Be(ConnectionString);
        options.CommandTimeout.Should().Be(TimeSpan.FromMinutes(1));
        options.EnsureSchemaOnStartup.Should().BeFalse();
        store.Sql.Schema.Should().Contain("CREATE TABLE [messaging].[order_outbox]");
    }

    [Fact]
    public void The_constructor_validates_identifiers_before_building_any_SQL()
    {
        Action hostileTable = () => _ = new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = ConnectionString, TableName = "x]; DROP TABLE y; --" });
        Action hostileSchema = () => _ = new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = ConnectionString, Schema = "[dbo]" });
        Action noConnection = () => _ = new SqlServerOutboxStore(new SqlServerOutboxOptions());

        hostileTable.Should().Throw<ArgumentException>().Which.Message.Should().Contain("SqlServerOutboxOptions.TableName");
        hostileSchema.Should().Throw<ArgumentException>().Which.Message.Should().Contain("SqlServerOutboxOptions.Schema");
        noConnection.Should().Throw<ArgumentException>().Which.Message.Should().Contain("SqlServerOutboxOptions.ConnectionString");
    }

    [Fact]
    public void Dapper_is_referenced_for_the_store()
        => typeof(SqlServerOutboxStore).Assembly.GetReferencedAssemblies().Should().Contain(a => a.Name == typeof(SqlMapper).Assembly.GetName().Name);
}
