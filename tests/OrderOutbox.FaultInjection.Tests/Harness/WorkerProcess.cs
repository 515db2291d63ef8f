using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace OrderOutbox.FaultInjection.Tests.Harness;

/// <summary>
/// A dispatcher worker running as its own OS process (<c>dotnet OrderOutbox.FaultInjection.Worker.dll …</c>), so that
/// <see cref="Kill"/> is a real SIGKILL and <see cref="TerminateAsync"/> a real SIGTERM. Its output goes to a log file.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _tail = new();
    private bool _stoppedCleanly;

    private WorkerProcess(Process process, string instanceId, string logPath)
    {
        _process = process;
        InstanceId = instanceId;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    /// <summary>The <c>OrderOutbox:InstanceId</c> given to the worker; its lease tokens start with it.</summary>
    public string InstanceId { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Whether the worker printed its clean-shutdown line.</summary>
    public bool StoppedCleanly
    {
        get
        {
            lock (_logGate)
            {
                return _stoppedCleanly;
            }
        }
    }

    /// <summary>The last lines of output, for failure messages.</summary>
    public string Tail
    {
        get
        {
            lock (_logGate)
            {
                return string.Join(Environment.NewLine, _tail);
            }
        }
    }

    public static string WorkerDllPath
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable("ORDEROUTBOX_FAULT_WORKER_DLL");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            var path = typeof(WorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "FaultInjectionWorkerPath")?.Value;
            if (path is null || !File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The fault-injection worker was not found at '{path}'. Build the solution (the test project builds it first).");
            }

            return path;
        }
    }

    /// <summary>Starts a worker and waits until its host has started.</summary>
    public static async Task<WorkerProcess> StartAsync(WorkerConfig config, string logDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(logDirectory);
        var start = new ProcessStartInfo(DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(WorkerDllPath)!,
        };
        start.ArgumentList.Add(WorkerDllPath);
        foreach (var argument in config.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, config.InstanceId, Path.Combine(logDirectory, config.InstanceId + "log.txt"));
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data, "err");
        process.Exited += (_, _) => worker._ready.TrySetException(
            new InvalidOperationException($"Worker {config.InstanceId} exited during start-up:{Environment.NewLine}{worker.Tail}"));
        if (!process.Start())
        {
            throw new InvalidOperationException("The worker process did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    /// <summary>SIGKILL: the process dies at once, mid-batch, leases and in-flight calls included.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM through <c>kill -TERM</c>, then waits for the process to exit (or <paramref name="timeout"/>).</summary>
    /// <returns>Whether the process exited within the timeout.</returns>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill")
        {
            ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) },
            UseShellExecute = false,
        })!)
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            else
            {
                // Drain the asynchronous output readers.
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        catch (TimeoutException)
        {
            // leave it; the log says what happened
        }

        _process.Dispose();
        lock (_logGate)
        {
            _log.Dispose();
        }
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private void OnLine(string? line, string stream)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (!_log.BaseStream.CanWrite)
            {
                return;
            }

            _log.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {stream} {line}");
            _tail.Enqueue(line);
            while (_tail.Count > 40)
            {
                _tail.Dequeue();
            }

            if (line.StartsWith("WORKER STOPPED", StringComparison.Ordinal))
            {
                _stoppedCleanly = true;
            }
        }

        if (line.StartsWith("WORKER READY", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}

/// <summary>The command line of one worker: the worker's own settings and the outbox options (shortened for tests).</summary>
internal sealed record WorkerConfig
{
    public required string ConnectionString { get; init; }

    public required string Schema { get; init; }

    public required Uri Endpoint { get; init; }

    /// <summary>Ends with a separator, so one instance's ID is never a prefix of another's (<c>…-g1-</c> vs <c>…-g10-</c>).</summary>
    public required string InstanceId { get; init; }

    public TimeSpan PollingInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public int BatchSize { get; init; } = 16;

    public int MaxConcurrency { get; init; } = 8;

    public TimeSpan DispatchTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Short, so a killed worker's records come back soon; the core requires it to exceed
    /// DispatchTimeout × (2 × ceil(BatchSize / MaxConcurrency) + 1) = 1 s × 5.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(6);

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    public int MaxRetries { get; init; } = 5;

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The outage circuit (<c>OrderOutbox:Circuit</c>), off unless set: failures in a row that open it, first probe
    /// delay, longest probe delay.</summary>
    public (int FailureThreshold, TimeSpan ProbeInterval, TimeSpan MaxProbeInterval)? Circuit { get; init; }

    public IEnumerable<string> ToArguments()
    {
        static string T(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
        static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
        yield return $"--Worker:ConnectionString={ConnectionString}";
        yield return $"--Worker:Schema={Schema}";
        yield return $"--Worker:Endpoint={Endpoint}";
        yield return $"--Worker:ShutdownTimeout={T(ShutdownTimeout)}";
        yield return $"--OrderOutbox:InstanceId={InstanceId}";
        yield return $"--OrderOutbox:PollingInterval={T(PollingInterval)}";
        yield return $"--OrderOutbox:BatchSize={I(BatchSize)}";
        yield return $"--OrderOutbox:MaxConcurrency={I(MaxConcurrency)}";
        yield return $"--OrderOutbox:DispatchTimeout={T(DispatchTimeout)}";
        yield return $"--OrderOutbox:LeaseDuration={T(LeaseDuration)}";
        yield return $"--OrderOutbox:Backoff:InitialDelay={T(InitialDelay)}";
        yield return "--OrderOutbox:Backoff:Multiplier=2";
        yield return $"--OrderOutbox:Backoff:MaxDelay={T(MaxDelay)}";
        yield return $"--OrderOutbox:Backoff:MaxRetries={I(MaxRetries)}";
        if (Circuit is { } circuit)
        {
            yield return "--OrderOutbox:Circuit:Enabled=true";
            yield return $"--OrderOutbox:Circuit:FailureThreshold={I(circuit.FailureThreshold)}";
            yield return $"--OrderOutbox:Circuit:ProbeInterval={T(circuit.ProbeInterval)}";
            yield return $"--OrderOutbox:Circuit:MaxProbeInterval={T(circuit.MaxProbeInterval)}";
        }

        yield return "--Logging:LogLevel:Default=Warning";
        yield return "--Logging:LogLevel:OrderOutbox=Information";
        yield return "--Logging:Console:FormatterName=simple";
    }
}
