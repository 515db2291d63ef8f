using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>One measured figure: several runs after a warm-up, summarised by median and spread (min–max).</summary>
internal sealed class Measurement
{
    public required string Section { get; init; }

    public required string Name { get; init; }

    public required string Unit { get; init; }

    public required double[] Runs { get; init; }

    public Dictionary<string, object?> Parameters { get; init; } = [];

    /// <summary>The 1-minute load average when the measurement started and ended.</summary>
    public string Load { get; set; } = Machine.LoadAverage().Split(' ')[0];

    public string? Note { get; init; }

    public double Median => Stats.Median(Runs);

    public double Min => Runs.Length == 0 ? double.NaN : Runs.Min();

    public double Max => Runs.Length == 0 ? double.NaN : Runs.Max();
}

/// <summary>
/// A target (issue 12, issue 14, DESIGN.md) and where the measured figure stands. <see cref="Id"/> and
/// <see cref="Target"/> are stable between runs so runs can be compared; <see cref="Measured"/> and <see cref="Met"/>
/// are null when the run did not measure it (a scenario skipped, or a peer this harness does not run).
/// </summary>
internal sealed record TargetCheck(
    string Id,
    string Target,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Measured,
    string Unit,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool? Met,
    string Source,
    string? Detail = null);

/// <summary>Collects measurements; prints them as markdown and writes them as JSON.</summary>
internal sealed class ResultSet
{
    private readonly List<Measurement> _items = [];
    private readonly List<TargetCheck> _targets = [];
    private readonly List<string> _notes = [];
    private readonly List<(string Section, string Markdown)> _tables = [];

    public Dictionary<string, object?> MachineInfo { get; set; } = [];

    public string Command { get; set; } = "";

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public IReadOnlyList<Measurement> Items => _items;

    public Measurement Add(Measurement m, string loadAtStart)
    {
        m.Load = loadAtStart + " → " + Machine.LoadAverage().Split(' ')[0];
        lock (_items)
        {
            _items.Add(m);
        }

        Console.WriteLine($"  {m.Section} | {m.Name} | {Format(m.Median, m.Unit)} {m.Unit} ({Format(m.Min, m.Unit)}–{Format(m.Max, m.Unit)}) runs={m.Runs.Length} load={m.Load}");
        return m;
    }

    public Measurement? Find(string section, string name) => _items.LastOrDefault(x => x.Section == section && x.Name == name);

    public void Target(TargetCheck t) => _targets.Add(t);

    /// <summary>Adds a summary table (markdown) printed under the generic table of <paramref name="section"/>.</summary>
    public void Table(string section, string markdown) => _tables.Add((section, markdown));

    public void Note(string text)
    {
        _notes.Add(text);
        Console.WriteLine("  note: " + text);
    }

    public static string Format(double v, string unit)
    {
        if (double.IsNaN(v))
        {
            return "n/a";
        }

        var abs = Math.Abs(v);
        var fmt = unit switch
        {
            "msg/s" or "orders/s" or "rows/s" or "queries/min" or "bytes/msg" or "MiB" => abs >= 100 ? "N0" : "N1",
            "ratio" => "N2",
            _ => abs >= 100 ? "N0" : abs >= 10 ? "N1" : abs >= 1 ? "N2" : "N3",
        };
        return v.ToString(fmt, CultureInfo.InvariantCulture);
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("## Machine").AppendLine();
        foreach (var (k, v) in MachineInfo)
        {
            sb.Append("- ").Append(k).Append(": ").Append(Convert.ToString(v, CultureInfo.InvariantCulture)).AppendLine();
        }

        sb.Append("- load average at end: ").AppendLine(Machine.LoadAverage());
        sb.Append("- command: `").Append(Command).AppendLine("`");
        sb.AppendLine();
        foreach (var section in _items.Select(x => x.Section).Distinct().Order(StringComparer.Ordinal))
        {
            sb.Append("## ").AppendLine(section).AppendLine();
            sb.AppendLine("| measurement | median | min–max | unit | runs | load 1m (start → end) |");
            sb.AppendLine("|---|---:|---:|---|---:|---|");
            foreach (var m in _items.Where(x => x.Section == section))
            {
                sb.Append("| ").Append(m.Name)
                  .Append(" | ").Append(Format(m.Median, m.Unit))
                  .Append(" | ").Append(Format(m.Min, m.Unit)).Append('–').Append(Format(m.Max, m.Unit))
                  .Append(" | ").Append(m.Unit)
                  .Append(" | ").Append(m.Runs.Length)
                  .Append(" | ").Append(m.Load).AppendLine(" |");
            }

            foreach (var (_, table) in _tables.Where(t => t.Section == section))
            {
                sb.AppendLine().Append(table);
            }

            var notes = _items.Where(x => x.Section == section && x.Note is not null).Select(x => x.Note!).Distinct().ToList();
            if (notes.Count > 0)
            {
                sb.AppendLine();
                foreach (var n in notes)
                {
                    sb.Append("- ").AppendLine(n);
                }
            }

            sb.AppendLine();
        }

        if (_targets.Count > 0)
        {
            sb.AppendLine("## Targets").AppendLine();
            sb.AppendLine("| source | id | target | measured | met | detail |");
            sb.AppendLine("|---|---|---|---:|---|---|");
            foreach (var t in _targets)
            {
                var measured = t.Measured is { } v ? Format(v, t.Unit) + " " + t.Unit : "not measured";
                var met = t.Met switch { true => "met", false => "missed", null => "—" };
                sb.Append("| ").Append(t.Source).Append(" | `").Append(t.Id).Append("` | ").Append(t.Target).Append(" | ").Append(measured)
                  .Append(" | ").Append(met).Append(" | ").Append(t.Detail ?? "").AppendLine(" |");
            }

            sb.AppendLine();
        }

        if (_notes.Count > 0)
        {
            sb.AppendLine("## Notes").AppendLine();
            foreach (var n in _notes)
            {
                sb.Append("- ").AppendLine(n);
            }
        }

        return sb.ToString();
    }

    public string ToJson()
    {
        var doc = new
        {
            startedAt = StartedAt,
            finishedAt = DateTimeOffset.UtcNow,
            command = Command,
            machine = MachineInfo,
            loadAverageAtEnd = Machine.LoadAverage(),
            measurements = _items.Select(m => new
            {
                section = m.Section,
                name = m.Name,
                unit = m.Unit,
                median = Clean(m.Median),
                min = Clean(m.Min),
                max = Clean(m.Max),
                runs = m.Runs.Select(Clean).ToArray(),
                parameters = m.Parameters,
                load1 = m.Load,
                note = m.Note,
            }),
            targets = _targets,
            tables = _tables.Select(t => new { section = t.Section, markdown = t.Markdown }),
            notes = _notes,
        };
        return JsonSerializer.Serialize(doc, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static double? Clean(double v) => double.IsNaN(v) || double.IsInfinity(v) ? null : Math.Round(v, 4);
}
