using Npgsql;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>What every scenario shares: settings, results, the database, the receiver and the payloads.</summary>
internal sealed class BenchContext
{
    public required BenchSettings Settings { get; init; }

    public required ResultSet Results { get; init; }

    public required NpgsqlDataSource Db { get; init; }

    public required ReceiverProcess Receiver { get; init; }

    /// <summary>1,000 distinct payloads (~315 bytes of JSON each), as strings and as UTF-8 bodies.</summary>
    public required string[] Payloads { get; init; }

    public required byte[][] Bodies { get; init; }

    public string Schema => Settings.Schema;

    /// <summary>Runs <paramref name="body"/> once as a warm-up (discarded), then <see cref="BenchSettings.Runs"/> times.</summary>
    public async Task<double[]> MeasureAsync(string label, Func<int, Task<double>> body)
    {
        Console.WriteLine($"    {label}: warm-up");
        await body(-1);
        var runs = new double[Settings.Runs];
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = await body(i);
            Console.WriteLine($"    {label}: run {i + 1}/{runs.Length} = {runs[i]:N2} (load {Machine.LoadAverage()})");
        }

        return runs;
    }
}
