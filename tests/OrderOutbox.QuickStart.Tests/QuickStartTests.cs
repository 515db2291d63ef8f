using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using FluentAssertions;
using OrderOutbox.Tests.EndToEnd;
using Xunit;

namespace OrderOutbox.QuickStart.Tests;

/// <summary>
/// The quick start as a newcomer runs it: the built app started as a process (SQLite, its appsettings.json), with its
/// endpoint pointed at a loopback Kestrel receiver; one POST completes an order and the delivery arrives there.
/// </summary>
public sealed class QuickStartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Completing_an_order_delivers_its_order_completed_event_to_the_endpoint()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using EndToEndReceiver receiver = await EndToEndReceiver.StartAsync();
        string database = Path.Combine(Path.GetTempPath(), $"orderoutbox-quickstart-{Guid.NewGuid():N}.db");
        string assembly = Path.GetFullPath(Metadata("QuickStartAssembly"));
        File.Exists(assembly).Should().BeTrue($"the quick start is built before its test ({assembly})");

        using var app = new Process
        {
            StartInfo = new ProcessStartInfo("dotnet")
            {
                ArgumentList =
                {
                    assembly,
                    "--urls", "http://127.0.0.1:0",
                    "--ConnectionStrings:Orders", $"Data Source={database}",
                    "--OrderOutbox:Http:Endpoint", receiver.Endpoint.ToString(),
                },
                WorkingDirectory = Path.GetDirectoryName(assembly)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        app.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(e.Data);
            }

            int at = e.Data.IndexOf("Now listening on: ", StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(e.Data[(at + "Now listening on: ".Length)..].Trim()));
            }
        };
        app.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.Add(e.Data ?? "");
            }
        };

        app.Start();
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            Uri address = await listening.Task.WaitAsync(Timeout, ct);
            using var http = new HttpClient { BaseAddress = address };
            using HttpResponseMessage response = await http.PostAsync("/orders/42/complete", content: null, ct);
            response.StatusCode.Should().Be(HttpStatusCode.Accepted);
            Guid messageId = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("messageId").GetGuid();

            IReadOnlyList<Delivery> deliveries = await receiver.WaitForAsync(
                seen => seen.Any(d => d.MessageId == messageId), Timeout, "the order.completed delivery", ct);

            Delivery delivery = deliveries.First(d => d.MessageId == messageId);
            delivery.Headers["ce-type"].Should().Be("order.completed");
            JsonElement body = JsonDocument.Parse(delivery.Body).RootElement;
            body.GetProperty("orderId").GetString().Should().Be("42");
        }
        catch (Exception ex)
        {
            lock (output)
            {
                throw new InvalidOperationException("The quick start said:\n" + string.Join('\n', output), ex);
            }
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync(CancellationToken.None);
            foreach (string path in new[] { database, database + "-wal", database + "-shm" })
            {
                File.Delete(path);
            }
        }
    }

    internal static string Metadata(string key)
        => typeof(QuickStartTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
