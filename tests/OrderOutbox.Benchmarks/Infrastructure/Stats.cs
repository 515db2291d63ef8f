namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>Order statistics over samples (nearest-rank percentiles; no interpolation).</summary>
internal static class Stats
{
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Percentile(IEnumerable<double> samples, double p)
    {
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return Percentile(sorted, p);
    }

    /// <summary>The median (the mean of the two middle values for an even count).</summary>
    public static double Median(IEnumerable<double> samples)
    {
        var sorted = samples.Where(x => !double.IsNaN(x)).ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Converts Stopwatch ticks to milliseconds.</summary>
    public static double TicksToMs(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
