using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>
/// CPU time spent by the three parties of a run: this process (the dispatcher, or the raw client), the receiver
/// process, and the PostgreSQL backends connected to the benchmark database (utime + stime from /proc/&lt;pid&gt;/stat,
/// in clock ticks of 10 ms). PostgreSQL's shared background processes (WAL writer, checkpointer, autovacuum) are not
/// counted. On a 2-core machine the sum per message bounds the rate: 2 s of CPU per second / CPU per message.
/// </summary>
internal sealed record CpuSnapshot(TimeSpan Self, TimeSpan Receiver, Dictionary<int, long> PgTicks)
{
    private const double TicksPerSecond = 100; // sysconf(_SC_CLK_TCK) on Linux

    public static async Task<CpuSnapshot> TakeAsync(NpgsqlDataSource db, int? receiverPid)
    {
        using var self = Process.GetCurrentProcess();
        var receiver = TimeSpan.Zero;
        if (receiverPid is { } pid)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                receiver = p.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
            }
        }

        var ticks = new Dictionary<int, long>();
        await using (var cmd = db.CreateCommand("select pid from pg_stat_activity where datname = current_database()"))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var backend = reader.GetInt32(0);
                var t = ReadTicks(backend);
                if (t >= 0)
                {
                    ticks[backend] = t;
                }
            }
        }

        return new CpuSnapshot(self.TotalProcessorTime, receiver, ticks);
    }

    /// <summary>CPU microseconds per message between <paramref name="before"/> and this snapshot.</summary>
    public (double Self, double Pg, double Receiver) PerMessageSince(CpuSnapshot before, long messages)
    {
        if (messages <= 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        long pg = 0;
        foreach (var (pid, after) in PgTicks)
        {
            pg += after - before.PgTicks.GetValueOrDefault(pid);
        }

        return ((Self - before.Self).TotalMicroseconds / messages,
            pg / TicksPerSecond * 1e6 / messages,
            (Receiver - before.Receiver).TotalMicroseconds / messages);
    }

    private static long ReadTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may contain spaces) start after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state); utime is field 14, stime field 15.
            return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }
}

/// <summary>Collects per-run CPU-per-message figures.</summary>
internal sealed class CpuRuns
{
    public List<double> Self { get; } = [];

    public List<double> Pg { get; } = [];

    public List<double> Receiver { get; } = [];

    public void Add((double Self, double Pg, double Receiver) v)
    {
        Self.Add(v.Self);
        Pg.Add(v.Pg);
        Receiver.Add(v.Receiver);
    }

    public string Summary() => Self.Count == 0
        ? "n/a"
        : string.Create(CultureInfo.InvariantCulture, $"{Stats.Median(Self):N0} / {Stats.Median(Pg):N0} / {Stats.Median(Receiver):N0}");

    public Dictionary<string, object?> ToJson() => new() { ["selfMicrosPerMsg"] = Self, ["postgresMicrosPerMsg"] = Pg, ["receiverMicrosPerMsg"] = Receiver };
}
