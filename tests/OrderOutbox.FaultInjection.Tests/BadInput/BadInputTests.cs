using System.Data.Common;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.FaultInjection.Tests.Harness;

namespace OrderOutbox.FaultInjection.Tests.BadInput;

/// <summary>
/// Bad input is refused with a clear error and writes no row: each case runs on a real PostgreSQL transaction that is
/// committed afterwards (so a stray row would persist) and checks that the caller's transaction is still usable.
/// The exact exception and message of each case go to the test output (and <c>bad-input.txt</c>) for docs/reliability.md.
/// </summary>
public sealed class BadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int PayloadLimit = 1024;
    private ScenarioDatabase _db = null!;
    private ServiceProvider _limited = null!;

    public async ValueTask InitializeAsync()
    {
        var connectionString = FaultEnvironment.RequireConnectionString();
        _db = await ScenarioDatabase.CreateAsync(connectionString, "fi_bad_input", TestContext.Current.CancellationToken);
        _limited = BuildProvider(o => o.MaxPayloadBytes = PayloadLimit);
    }

    public async ValueTask DisposeAsync()
    {
        if (_limited is not null)
        {
            await _limited.DisposeAsync();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
    }

    [Fact]
    public async Task Null_payload_is_refused()
    {
        var error = await AssertRefusedAsync("null payload", tx => _db.Writer.EnqueueAsync<OrderCompleted?>(tx, "order.completed", null, cancellationToken: Ct));
        error.Should().BeOfType<ArgumentNullException>();
    }

    [Fact]
    public async Task Non_serialisable_payload_is_refused()
    {
        var node = new Node();
        node.Next = node;
        var error = await AssertRefusedAsync("non-serialisable payload (object cycle)", tx => _db.Writer.EnqueueAsync(tx, "order.completed", node, cancellationToken: Ct));
        error.Should().Match(e => e is ArgumentException || e is System.Text.Json.JsonException || e is NotSupportedException);
    }

    [Fact]
    public async Task Payload_above_the_limit_is_refused()
    {
        var writer = _limited.GetRequiredService<IOutboxWriter>();
        var error = await AssertRefusedAsync(
            $"payload above MaxPayloadBytes ({PayloadLimit})",
            tx => writer.EnqueueAsync(tx, "order.completed", new { text = new string('x', 2 * PayloadLimit) }, cancellationToken: Ct));
        error.Should().BeAssignableTo<ArgumentException>();
        error.Message.Should().Contain("MaxPayloadBytes");
    }

    [Fact]
    public async Task Payload_at_the_limit_is_accepted()
    {
        var writer = _limited.GetRequiredService<IOutboxWriter>();
        var before = await _db.CountRowsAsync(TestContext.Current.CancellationToken);
        await using var connection = await _db.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var tx = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await writer.EnqueueAsync(tx, "order.completed", new string('x', PayloadLimit - 2), cancellationToken: Ct); // "xxx…" with its quotes
        await tx.CommitAsync(TestContext.Current.CancellationToken);
        (await _db.CountRowsAsync(TestContext.Current.CancellationToken)).Should().Be(before + 1, "the limit is inclusive, so the refusals above are not a blanket failure");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Empty_message_type_is_refused(string messageType)
    {
        var error = await AssertRefusedAsync($"message type '{messageType}'", tx => _db.Writer.EnqueueAsync(tx, messageType, Order(), cancellationToken: Ct));
        error.Should().BeAssignableTo<ArgumentException>();
    }

    [Fact]
    public async Task Null_or_overlong_message_type_is_refused()
    {
        (await AssertRefusedAsync("message type null", tx => _db.Writer.EnqueueAsync(tx, null!, Order(), cancellationToken: Ct)))
            .Should().BeOfType<ArgumentNullException>();
        (await AssertRefusedAsync("message type of 201 characters", tx => _db.Writer.EnqueueAsync(tx, new string('t', 201), Order(), cancellationToken: Ct)))
            .Should().BeAssignableTo<ArgumentException>();
    }

    [Fact]
    public async Task Transaction_whose_connection_is_closed_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        await using var connection = await _db.DataSource.OpenConnectionAsync(ct);
        var tx = await connection.BeginTransactionAsync(ct);
        await connection.CloseAsync();
        var error = await Record.ExceptionAsync(() => _db.Writer.EnqueueAsync(tx, "order.completed", Order(), cancellationToken: Ct));
        Describe("transaction whose connection is closed", error);
        error.Should().Match(e => e is ArgumentException || e is InvalidOperationException);
        (await _db.CountRowsAsync(ct)).Should().Be(before);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Transaction_already_completed_is_refused(bool committed)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        await using var connection = await _db.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (committed)
        {
            await tx.CommitAsync(ct);
        }
        else
        {
            await tx.RollbackAsync(ct);
        }

        var error = await Record.ExceptionAsync(() => _db.Writer.EnqueueAsync(tx, "order.completed", Order(), cancellationToken: Ct));
        Describe(committed ? "transaction already committed" : "transaction already rolled back", error);
        error.Should().BeOfType<ArgumentException>()
            .Which.Message.Should().Contain("already committed or rolled back");
        (await _db.CountRowsAsync(ct)).Should().Be(before, "nothing may be written outside the caller's transaction (no autocommit)");
    }

    [Fact]
    public async Task Transaction_of_another_provider_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        await using var sqlite = new SqliteConnection("Data Source=:memory:");
        await sqlite.OpenAsync(ct);
        await using DbTransaction tx = await sqlite.BeginTransactionAsync(ct);
        var error = await Record.ExceptionAsync(() => _db.Writer.EnqueueAsync(tx, "order.completed", Order(), cancellationToken: Ct));
        Describe("SqliteTransaction given to the PostgreSQL store", error);
        error.Should().BeAssignableTo<ArgumentException>();
        (await _db.CountRowsAsync(ct)).Should().Be(before);
    }

    [Theory]
    [InlineData("schema", "public; drop table orders; --")]
    [InlineData("schema", "fi_bad_input\"")]
    [InlineData("table", "outbox_messages\"; delete from fi_bad_input.orders; --")]
    [InlineData("table", "")]
    public async Task Hostile_schema_or_table_name_is_refused(string option, string value)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        var ordersBefore = await CountOrdersAsync(ct);
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var provider = BuildProvider(configurePg: pg =>
            {
                if (option == "schema")
                {
                    pg.Schema = value;
                }
                else
                {
                    pg.TableName = value;
                }
            });
            await provider.GetRequiredService<IOutboxStore>().EnsureSchemaAsync(ct);
        });
        Describe($"hostile {option} name '{value}' (EnsureSchemaAsync)", error);
        error.Should().Match(e => e is ArgumentException || e is Microsoft.Extensions.Options.OptionsValidationException);

        var writeError = await AssertRefusedAsync($"hostile {option} name '{value}' (EnqueueAsync)", async tx =>
        {
            await using var provider = BuildProvider(configurePg: pg =>
            {
                if (option == "schema")
                {
                    pg.Schema = value;
                }
                else
                {
                    pg.TableName = value;
                }
            });
            await provider.GetRequiredService<IOutboxWriter>().EnqueueAsync(tx, "order.completed", Order(), cancellationToken: Ct);
        });
        writeError.Should().Match(e => e is ArgumentException || e is Microsoft.Extensions.Options.OptionsValidationException);
        (await _db.CountRowsAsync(ct)).Should().Be(before);
        (await CountOrdersAsync(ct)).Should().Be(ordersBefore + 1, "the orders table is intact (the +1 is AssertRefusedAsync's own probe row)");
    }

    [Theory]
    [InlineData("BatchSize")]
    [InlineData("LeaseDuration")]
    [InlineData("PollingInterval")]
    [InlineData("MaxConcurrency")]
    [InlineData("Backoff.MaxRetries")]
    [InlineData("Backoff.Multiplier")]
    public async Task Options_out_of_range_stop_the_host_at_start(string option)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        var builder = Host.CreateApplicationBuilder();
        builder.Services
            .AddOrderOutbox(o =>
            {
                switch (option)
                {
                    case "BatchSize": o.BatchSize = 0; break;
                    case "LeaseDuration": o.LeaseDuration = TimeSpan.Zero; break;
                    case "PollingInterval": o.PollingInterval = TimeSpan.FromDays(2); break;
                    case "MaxConcurrency": o.MaxConcurrency = 0; break;
                    case "Backoff.MaxRetries": o.Backoff.MaxRetries = -1; break;
                    case "Backoff.Multiplier": o.Backoff.Multiplier = 0.5; break;
                }
            })
            .UsePostgreSql(_db.ConnectionString, pg => pg.Schema = _db.Schema)
            .UseHttpDispatcher(http => http.Endpoint = new Uri("http://127.0.0.1:9/orders"));
        using var host = builder.Build();
        var error = await Record.ExceptionAsync(() => host.StartAsync(ct));
        if (error is null)
        {
            await host.StopAsync(ct);
        }

        Describe($"option {option} out of range (host start)", error);
        error.Should().BeOfType<Microsoft.Extensions.Options.OptionsValidationException>();
        error!.Message.Should().Contain(option.Split('.')[^1], "the error names the option");
        (await _db.CountRowsAsync(ct)).Should().Be(before);
    }

    [Fact]
    public async Task Writer_with_options_out_of_range_writes_nothing()
    {
        var error = await AssertRefusedAsync("MaxPayloadBytes = 0 (writer)", async tx =>
        {
            await using var provider = BuildProvider(o => o.MaxPayloadBytes = 0);
            await provider.GetRequiredService<IOutboxWriter>().EnqueueAsync(tx, "order.completed", Order(), cancellationToken: Ct);
        });
        error.Should().BeOfType<Microsoft.Extensions.Options.OptionsValidationException>();
        error.Message.Should().Contain("MaxPayloadBytes");
    }

    [Fact]
    public async Task Missing_http_endpoint_stops_the_host_at_start()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = Host.CreateApplicationBuilder();
        builder.Services
            .AddOrderOutbox()
            .UsePostgreSql(_db.ConnectionString, pg => pg.Schema = _db.Schema)
            .UseHttpDispatcher(_ => { });
        using var host = builder.Build();
        var error = await Record.ExceptionAsync(() => host.StartAsync(ct));
        if (error is null)
        {
            await host.StopAsync(ct);
        }

        Describe("HttpDispatcherOptions.Endpoint missing (host start)", error);
        error.Should().BeOfType<Microsoft.Extensions.Options.OptionsValidationException>();
        error!.Message.Should().Contain("Endpoint");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static OrderCompleted Order() =>
        new(Guid.NewGuid(), 1, "user-1", 10m, [new OrderLine("sku-1", 1, 10m)], false);

    private ServiceProvider BuildProvider(Action<OutboxOptions>? configure = null, Action<OrderOutbox.PostgreSql.PostgreSqlOutboxOptions>? configurePg = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services
            .AddOrderOutbox(o =>
            {
                o.RunDispatcher = false;
                configure?.Invoke(o);
            })
            .UsePostgreSql(_db.ConnectionString, pg =>
            {
                pg.Schema = _db.Schema;
                configurePg?.Invoke(pg);
            });
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Runs <paramref name="enqueue"/> on a fresh transaction, expects it to throw, then proves the transaction is
    /// still usable (an order row is inserted and committed on it) and that no outbox row appeared.
    /// </summary>
    private async Task<Exception> AssertRefusedAsync(string name, Func<NpgsqlTransaction, Task> enqueue)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await _db.CountRowsAsync(ct);
        await using var connection = await _db.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var error = await Record.ExceptionAsync(() => enqueue(tx));
        Describe(name, error);
        error.Should().NotBeNull($"{name} must be refused");

        await using (var probe = new NpgsqlCommand(
            $"""insert into "{_db.Schema}".orders (order_no, order_id, message_id, poison) values (@no, @id, @id, false)""", connection, tx))
        {
            probe.Parameters.AddWithValue("no", Random.Shared.NextInt64(1_000_000, long.MaxValue));
            probe.Parameters.AddWithValue("id", Guid.NewGuid());
            await probe.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        (await _db.CountRowsAsync(ct)).Should().Be(before, $"{name} must write no outbox row");
        return error!;
    }

    private async Task<long> CountOrdersAsync(CancellationToken ct)
    {
        await using var command = _db.DataSource.CreateCommand($"""select count(*) from "{_db.Schema}".orders""");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private void Describe(string name, Exception? error)
    {
        var line = error is null
            ? $"bad-input | {name} | (no exception)"
            : $"bad-input | {name} | {error.GetType().FullName} | {error.Message.ReplaceLineEndings(" ")}";
        output.WriteLine(line);
        lock (typeof(BadInputTests))
        {
            File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "bad-input.txt"), line + Environment.NewLine);
        }
    }

    private sealed class Node
    {
        public Node? Next { get; set; }
    }
}
