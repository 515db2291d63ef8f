using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OrderOutbox.Benchmarks.Infrastructure;

namespace OrderOutbox.Benchmarks.Scenarios;

/// <summary>
/// Enqueue cost with BenchmarkDotNet (in-process toolchain): one order transaction with and without EnqueueAsync, on
/// PostgreSQL and SQLite. Run: <c>dotnet run -c Release --project tests/OrderOutbox.Benchmarks -- bdn --filter *</c>.
/// </summary>
[Config(typeof(EnqueueBenchmarksConfig))]
public class EnqueueBenchmarks
{
    private IHost? _host;
    private IOutboxWriter? _writer;
    private NpgsqlDataSource? _app;
    private string _update = "";
    private string _sqlite = "";
    private int _i;

    /// <summary>The store.</summary>
    [Params("PostgreSql", "Sqlite")]
    public string Store { get; set; } = "PostgreSql";

    public static void Run(string[] args) => BenchmarkSwitcher.FromTypes([typeof(EnqueueBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args);

    [GlobalSetup]
    public void Setup()
    {
        var pg = Environment.GetEnvironmentVariable("ORDEROUTBOX_BENCH_POSTGRES") ?? BenchSettings.DefaultPostgres;
        var endpoint = new Uri("http://127.0.0.1:9/orders");
        if (Store == "PostgreSql")
        {
            Pg.EnsureDatabaseAsync(pg).GetAwaiter().GetResult();
            _app = NpgsqlDataSource.Create(pg);
            Pg.EnsureOrdersAsync(_app, "bench").GetAwaiter().GetResult();
            _update = OrderTransactions.PgUpdateSql("bench");
            _host = OutboxHost.PostgreSql(pg, "bench", "bdn_outbox", endpoint, o => o.RunDispatcher = false, notifications: true);
        }
        else
        {
            var dir = Path.Combine(Path.GetTempPath(), "orderoutbox-bench");
            Directory.CreateDirectory(dir);
            _sqlite = $"Data Source={Path.Combine(dir, "bdn.db")};Pooling=True";
            OrderTransactions.EnsureSqliteOrdersAsync(_sqlite).GetAwaiter().GetResult();
            _host = OutboxHost.Sqlite(_sqlite, "outbox_messages", endpoint, o => o.RunDispatcher = false);
        }

        _host.StartAsync().GetAwaiter().GetResult();
        _writer = _host.Services.GetRequiredService<IOutboxWriter>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host?.StopAsync().GetAwaiter().GetResult();
        _host?.Dispose();
        _app?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "UPDATE order; COMMIT")]
    public Task UpdateOrder() => Tx(null);

    [Benchmark(Description = "UPDATE order; EnqueueAsync; COMMIT")]
    public Task UpdateOrderAndEnqueue() => Tx(_writer);

    private async Task Tx(IOutboxWriter? writer)
    {
        var i = _i++;
        var payload = Payloads.Create(i % 1000);
        if (Store == "PostgreSql")
        {
            await OrderTransactions.PostgresAsync(_app!, _update, writer, i, payload);
        }
        else
        {
            await OrderTransactions.SqliteAsync(_sqlite, writer, i, payload);
        }
    }
}

/// <summary>In-process (no separate build), percentiles and allocations.</summary>
public sealed class EnqueueBenchmarksConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public EnqueueBenchmarksConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15).WithInvocationCount(256).WithUnrollFactor(1));
        AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
        AddDiagnoser(MemoryDiagnoser.Default);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}
