using System.Globalization;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>Command-line settings and the sizes of a full or a quick run.</summary>
internal sealed class BenchSettings
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=outbox;Password=outbox;Database=outbox_bench;SSL Mode=Disable;Maximum Pool Size=40";

    public bool Quick { get; private set; }

    public string Postgres { get; private set; } = Environment.GetEnvironmentVariable("ORDEROUTBOX_BENCH_POSTGRES") ?? DefaultPostgres;

    public string Schema { get; private set; } = "bench";

    public string SqliteDirectory { get; private set; } = Path.Combine(Path.GetTempPath(), "orderoutbox-bench");

    public HashSet<string> Only { get; } = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Skip { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? ReceiverUrl { get; private set; }

    public string? ReceiverDll { get; private set; }

    public string OutputDirectory { get; private set; } = "BenchmarkResults";

    /// <summary>Measured runs per figure (after one warm-up).</summary>
    public int Runs { get; private set; }

    /// <summary>Backlog drained per run at concurrency ≥ 16 (and by the raw baselines).</summary>
    public int Backlog { get; private set; }

    /// <summary>Backlog drained per run at concurrency 1 (a 100k drain one call at a time takes minutes).</summary>
    public int BacklogSerial { get; private set; }

    /// <summary>
    /// The longest a throughput run lasts: a drain (or raw baseline) stops claiming at this time and its rate is the
    /// messages completed over the time taken, so a slow configuration cannot stretch the whole run.
    /// </summary>
    public TimeSpan RunTimeLimit { get; private set; }

    public int[] BatchSizes { get; private set; } = [];

    public int[] DiagnosticsBatches { get; private set; } = [10, 100];

    public int[] Concurrencies { get; private set; } = [];

    public int EnqueueTransactions { get; private set; }

    public TimeSpan WritersDuration { get; private set; }

    public int Writers { get; private set; } = 16;

    public int LatencyRate { get; private set; } = 200;

    public TimeSpan LatencyDuration { get; private set; }

    public TimeSpan LatencyWarmup { get; private set; }

    public TimeSpan IdleWindow { get; private set; }

    public int[] MemoryBacklogs { get; private set; } = [];

    public long HistoryRows { get; private set; }

    public string CommandLine { get; private set; } = "";

    /// <summary>--publish: also write the run's JSON and markdown to docs/benchmarks/latest.{json,md} of the repository.</summary>
    public bool Publish { get; private set; }

    public static BenchSettings Parse(string[] args)
    {
        var s = new BenchSettings { Quick = args.Contains("--quick") };
        s.ApplyDefaults();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException("missing value after " + args[i]);
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--publish":
                    s.Publish = true;
                    break;
                case "--pg":
                    s.Postgres = Next();
                    break;
                case "--schema":
                    s.Schema = Next();
                    break;
                case "--sqlite-dir":
                    s.SqliteDirectory = Next();
                    break;
                case "--only":
                    s.Only.UnionWith(Next().Split(','));
                    break;
                case "--skip":
                    s.Skip.UnionWith(Next().Split(','));
                    break;
                case "--receiver-url":
                    s.ReceiverUrl = Next();
                    break;
                case "--receiver-dll":
                    s.ReceiverDll = Next();
                    break;
                case "--out":
                    s.OutputDirectory = Next();
                    break;
                case "--runs":
                    s.Runs = Int(Next());
                    break;
                case "--backlog":
                    s.Backlog = Int(Next());
                    break;
                case "--diagnostics-batches":
                    s.DiagnosticsBatches = Ints(Next());
                    break;
                case "--run-seconds":
                    s.RunTimeLimit = TimeSpan.FromSeconds(Int(Next()));
                    break;
                case "--backlog-serial":
                    s.BacklogSerial = Int(Next());
                    break;
                case "--batches":
                    s.BatchSizes = Ints(Next());
                    break;
                case "--concurrency":
                    s.Concurrencies = Ints(Next());
                    break;
                case "--history-rows":
                    s.HistoryRows = long.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--idle-seconds":
                    s.IdleWindow = TimeSpan.FromSeconds(Int(Next()));
                    break;
                case "--latency-seconds":
                    s.LatencyDuration = TimeSpan.FromSeconds(Int(Next()));
                    break;
                case "--memory-backlogs":
                    s.MemoryBacklogs = Ints(Next());
                    break;
                default:
                    throw new ArgumentException("unknown option " + args[i] + " (see docs/benchmarks.md)");
            }
        }

        s.CommandLine = "dotnet run -c Release --project tests/OrderOutbox.Benchmarks" + (args.Length > 0 ? " -- " + string.Join(' ', args.Select(Redact)) : "");
        return s;
    }

    public bool Enabled(string scenario) => (Only.Count == 0 || Only.Contains(scenario)) && !Skip.Contains(scenario);

    private void ApplyDefaults()
    {
        if (Quick)
        {
            Runs = 2;
            RunTimeLimit = TimeSpan.FromSeconds(2);
            Backlog = 10_000;
            BacklogSerial = 2_000;
            BatchSizes = [10, 100];
            Concurrencies = [1, 16];
            EnqueueTransactions = 200;
            WritersDuration = TimeSpan.FromSeconds(1);
            LatencyDuration = TimeSpan.FromSeconds(1.5);
            LatencyWarmup = TimeSpan.FromSeconds(1);
            DiagnosticsBatches = [100];
            IdleWindow = TimeSpan.FromSeconds(10);
            MemoryBacklogs = [4_000, 8_000];
            HistoryRows = 50_000;
        }
        else
        {
            Runs = 3;
            RunTimeLimit = TimeSpan.FromSeconds(4);
            Backlog = 100_000;
            BacklogSerial = 100_000;
            BatchSizes = [10, 100, 500];
            Concurrencies = [1, 16, 64];
            EnqueueTransactions = 1_000;
            WritersDuration = TimeSpan.FromSeconds(4);
            LatencyDuration = TimeSpan.FromSeconds(6);
            LatencyWarmup = TimeSpan.FromSeconds(3);
            IdleWindow = TimeSpan.FromSeconds(60);
            MemoryBacklogs = [25_000, 50_000, 100_000];
            HistoryRows = 10_000_000;
        }
    }

    /// <summary>The size of a warm-up drain.</summary>
    public int Warmup(int n) => Math.Min(n, Quick ? 2_000 : 5_000);

    public int BacklogFor(int concurrency) => concurrency == 1 ? Math.Min(BacklogSerial, Backlog) : Backlog;

    private static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);

    private static int[] Ints(string v) => [.. v.Split(',').Select(Int)];

    private static string Redact(string arg) => arg.Contains("Password=", StringComparison.OrdinalIgnoreCase) ? "<connection string>" : arg;
}
