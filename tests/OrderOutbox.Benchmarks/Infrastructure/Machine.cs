using System.Globalization;
using System.Runtime.InteropServices;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>What the machine is and how busy it is.</summary>
internal static class Machine
{
    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg ("1.23 0.98 0.50"), or "n/a".</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    /// <summary>The 1-minute load average.</summary>
    public static double Load1()
    {
        var first = LoadAverage().Split(' ')[0];
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
    }

    public static long TotalMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    public static Dictionary<string, object?> Describe(string postgresVersion, string sqliteVersion) => new()
    {
        ["os"] = RuntimeInformation.OSDescription,
        ["cpu"] = CpuModel(),
        ["processorCount"] = Environment.ProcessorCount,
        ["memoryGiB"] = Math.Round(TotalMemoryBytes() / 1024.0 / 1024 / 1024, 1),
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
        ["postgres"] = postgresVersion,
        ["sqlite"] = sqliteVersion,
        ["loadAverageAtStart"] = LoadAverage(),
    };
}
