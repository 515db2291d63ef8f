using System.Diagnostics;
using System.Text;

namespace OrderOutbox.PackageTests;

/// <summary>The result of a finished process.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the process printed, for assertion messages.</summary>
    public override string ToString()
        => $"`{CommandLine}` exited with {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{Tail(StandardOutput)}{Environment.NewLine}--- stderr ---{Environment.NewLine}{Tail(StandardError)}";

    private static string Tail(string text) => text.Length <= 12_000 ? text : "..." + text[^12_000..];
}

/// <summary>Runs the same <c>dotnet</c> that runs the tests, isolated from the test host's MSBuild environment.</summary>
internal static class DotNetCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    // Variables that the test host (or an outer `dotnet test`) sets for its own MSBuild; a child `dotnet build`
    // must find its own.
    private static readonly string[] InheritedMsBuildVariables =
    [
        "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
        "MSBUILDNOINPROCNODE", "VSTEST_HOST_DEBUG", "VSTEST_RUNNER_DEBUG",
    ];

    /// <summary>The <c>dotnet</c> executable: the host that runs this test when known, else the one on the PATH.</summary>
    public static string Executable
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/> and waits for it.</summary>
    public static Task<ProcessResult> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken)
        => RunAsync(Executable, workingDirectory, arguments, cancellationToken);

    /// <summary>Runs <paramref name="fileName"/> and waits for it; the whole process tree is killed on timeout or cancellation.</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in InheritedMsBuildVariables)
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        var commandLine = $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"`{commandLine}` did not finish within {Timeout} (or the test was cancelled).{Environment.NewLine}{stdout}{Environment.NewLine}{stderr}");
        }

        process.WaitForExit(); // drains the redirected streams
        lock (stdout)
        {
            lock (stderr)
            {
                return new ProcessResult(commandLine, process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }

    private static void Append(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }
    }
}
