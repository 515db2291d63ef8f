using System.Diagnostics;
using System.Globalization;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>
/// The loopback receiver (tests/OrderOutbox.Benchmarks.Receiver) running in its own process, and a control client
/// for its counters and arrival log.
/// </summary>
internal sealed class ReceiverProcess : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly HttpClient _control;

    private ReceiverProcess(Process? process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        Endpoint = new Uri(baseUri, "/orders");
        _control = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseUri { get; }

    /// <summary>The URI records are POSTed to.</summary>
    public Uri Endpoint { get; }

    public int? ProcessId => _process?.Id;

    public static async Task<ReceiverProcess> StartAsync(string? externalUrl, string? receiverDll)
    {
        if (externalUrl is not null)
        {
            return new ReceiverProcess(null, new Uri(externalUrl));
        }

        var dll = receiverDll ?? LocateReceiverDll();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("0");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the receiver");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException(
                "the receiver exited: " + await process.StandardError.ReadToEndAsync(cts.Token));
            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                var url = line.Split(' ')[1];
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return new ReceiverProcess(process, new Uri(url.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
            }
        }
    }

    private static string LocateReceiverDll()
    {
        // bin/<Configuration>/net10.0/ of this harness → the receiver's bin/<Configuration>/net10.0/.
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var testsDir = baseDir.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(testsDir, "OrderOutbox.Benchmarks.Receiver", "bin", configuration, tfm, "OrderOutbox.Benchmarks.Receiver.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException("Build the receiver first (dotnet build -c Release tests/OrderOutbox.Benchmarks), or pass --receiver-dll / --receiver-url.", dll);
    }

    public async Task ResetAsync()
    {
        using var r = await _control.PostAsync(new Uri("/control/reset", UriKind.Relative), null);
        r.EnsureSuccessStatusCode();
    }

    public async Task RecordAsync(bool on)
    {
        using var r = await _control.PostAsync(new Uri("/control/record/" + (on ? "on" : "off"), UriKind.Relative), null);
        r.EnsureSuccessStatusCode();
    }

    /// <summary>The number of POSTs received since the last reset.</summary>
    public async Task<long> CountAsync()
    {
        var text = await _control.GetStringAsync(new Uri("/stats", UriKind.Relative));
        return long.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until at least <paramref name="expected"/> POSTs were received, or the timeout.</summary>
    public async Task<long> WaitForCountAsync(long expected, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        long n;
        while ((n = await CountAsync()) < expected && sw.Elapsed < timeout)
        {
            await Task.Delay(50);
        }

        return n;
    }

    /// <summary>The recorded arrivals: message ID (from Idempotency-Key or ce-id) → receiver Stopwatch timestamp.</summary>
    public async Task<Dictionary<Guid, long>> ArrivalsAsync()
    {
        var text = await _control.GetStringAsync(new Uri("/arrivals", UriKind.Relative));
        var result = new Dictionary<Guid, long>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var sp = line.LastIndexOf(' ');
            if (sp > 0 && Guid.TryParse(line.AsSpan(0, sp).Trim().TrimStart("urn:uuid:"), out var id))
            {
                var ts = long.Parse(line.AsSpan(sp + 1), CultureInfo.InvariantCulture);
                result.TryAdd(id, ts);
            }
        }

        return result;
    }

    /// <summary>
    /// Checks that the receiver's Stopwatch clock is this process's clock (CLOCK_MONOTONIC on Linux): a receiver
    /// timestamp read between two local ones must fall between them. Returns the round trip in ms.
    /// </summary>
    public async Task<(bool SameClock, double RoundTripMs)> CheckClockAsync()
    {
        var ok = true;
        var best = double.MaxValue;
        for (var i = 0; i < 20; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var text = await _control.GetStringAsync(new Uri("/clock", UriKind.Relative));
            var t1 = Stopwatch.GetTimestamp();
            var remote = long.Parse(text, CultureInfo.InvariantCulture);
            ok &= remote >= t0 && remote <= t1;
            best = Math.Min(best, Stats.TicksToMs(t1 - t0));
        }

        return (ok, best);
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
