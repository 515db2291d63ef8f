using System.Net;
using System.Net.Sockets;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL that counts network round trips: a round trip is counted each time
/// the server answers after the client has sent something since the server's last answer. Npgsql (without
/// multiplexing) never sends a new request before it has read the previous answer, so a turn of the conversation
/// is exactly one round trip, whatever number of protocol messages or statements it carries (a deferred BEGIN
/// that Npgsql prepends to the first statement costs nothing; a COMMIT costs one). Only used to count, never to time.
/// </summary>
internal sealed class RoundTripCountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private long _roundTrips;

    public RoundTripCountingProxy(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(Dns.GetHostAddresses(targetHost).First(a => a.AddressFamily == AddressFamily.InterNetwork), targetPort);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _tasks.Add(AcceptLoopAsync());
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public void Reset() => Interlocked.Exchange(ref _roundTrips, 0);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_tasks)
                {
                    _tasks.Add(HandleAsync(client));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            client.NoDelay = true;
            server.NoDelay = true;
            await server.ConnectAsync(_target, _stop.Token);
            var turn = new Turn();
            var up = PumpAsync(client.GetStream(), server.GetStream(), turn, clientToServer: true);
            var down = PumpAsync(server.GetStream(), client.GetStream(), turn, clientToServer: false);
            await Task.WhenAny(up, down);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Turn turn, bool clientToServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                if (clientToServer)
                {
                    // Mark before forwarding: the answer can only come after the server got these bytes.
                    Volatile.Write(ref turn.ClientSpoke, 1);
                }
                else if (Interlocked.Exchange(ref turn.ClientSpoke, 0) == 1)
                {
                    Interlocked.Increment(ref _roundTrips);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }

        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException or SocketException)
        {
        }

        _stop.Dispose();
    }

    private sealed class Turn
    {
#pragma warning disable CA1051
        public int ClientSpoke;
#pragma warning restore CA1051
    }
}
