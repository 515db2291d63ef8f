using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrderOutbox.Hosting;
using OrderOutbox.Storage;

namespace OrderOutbox.PostgreSql;

/// <summary>
/// Holds a dedicated connection that <c>LISTEN</c>s on the notification channel and wakes the dispatcher
/// when an enqueue commits, and once more one <see cref="PostgreSqlOutboxOptions.NotificationCooldown"/> later (the
/// senders attach a notification to at most one enqueue per cooldown). It also wakes the dispatcher once each time <c>LISTEN</c>
/// takes effect — on the first connect and after every reconnect — since records committed while nobody listened sent
/// notifications that were lost. On connection loss it logs once and reconnects with a capped exponential backoff
/// (through the <see cref="TimeProvider"/>); polling covers the gap meanwhile.
/// </summary>
internal sealed partial class PostgreSqlWakeUpListener : BackgroundService
{
    internal static readonly TimeSpan InitialReconnectDelay = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long a wait lasts before a cheap round trip checks that the connection is still alive.</summary>
    internal static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlOutboxOptions _options;
    private readonly bool _runDispatcher;
    private readonly OutboxWakeUp _wakeUp;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<PostgreSqlWakeUpListener> _logger;
    private readonly object _gate = new();
    private TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _notifications;

    public PostgreSqlWakeUpListener(
        PostgreSqlOutboxDataSource dataSource,
        IOptions<PostgreSqlOutboxOptions> options,
        IOptions<OutboxOptions> outboxOptions,
        OutboxWakeUp wakeUp,
        TimeProvider timeProvider,
        ILogger<PostgreSqlWakeUpListener> logger)
    {
        _dataSource = dataSource.DataSource;
        _options = options.Value;
        _runDispatcher = outboxOptions.Value.RunDispatcher;
        _wakeUp = wakeUp;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Completes with the listening connection's backend process ID once <c>LISTEN</c> is in effect.</summary>
    internal Task<int> Listening
    {
        get
        {
            lock (_gate)
            {
                return _listening.Task;
            }
        }
    }

    /// <summary>The number of notifications received on the channel so far.</summary>
    internal long NotificationCount => Interlocked.Read(ref _notifications);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.UseNotifications || !_runDispatcher)
        {
            return;
        }

        await Task.Yield();
        string channel = SqlIdentifier.Validate(_options.NotificationChannel, "PostgreSqlOutboxOptions.NotificationChannel");
        TimeSpan delay = InitialReconnectDelay;
        bool inOutage = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(channel, wasInOutage: inOutage, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                ResetListening();
                if (!inOutage)
                {
                    LogConnectionLost(exception, channel, delay);
                    inOutage = true;
                }
                else
                {
                    LogReconnectFailed(exception, channel, delay);
                }

                try
                {
                    await Task.Delay(delay, _timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }

        ResetListening();
        LogStopped(channel);

        // Listens until the connection fails (throws) or the host stops; a successful (re)connect resets the backoff.
        async Task ListenAsync(string channelName, bool wasInOutage, CancellationToken cancellationToken)
        {
            NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                connection.Notification += OnNotification;
                using (var listen = new NpgsqlCommand("LISTEN \"" + channelName + "\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                if (wasInOutage)
                {
                    LogReconnected(channelName, connection.ProcessID);
                }
                else
                {
                    LogListening(channelName, connection.ProcessID);
                }

                // Records committed before LISTEN took effect (before the first connect, or while the connection was down)
                // sent notifications nobody heard: wake the dispatcher once rather than leave them to the next poll.
                _wakeUp.Notify();

                inOutage = false;
                delay = InitialReconnectDelay;
                lock (_gate)
                {
                    _listening.TrySetResult(connection.ProcessID);
                }

                if (new NpgsqlConnectionStringBuilder(connection.ConnectionString).KeepAlive > 0)
                {
                    // Npgsql pings the waiting connection itself (protocol level, no query): wait until a
                    // notification arrives or the connection breaks, and run no statement of our own.
                    while (true)
                    {
                        await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                using var ping = new NpgsqlCommand("SELECT 1", connection);
                while (true)
                {
                    if (!await connection.WaitAsync(KeepAliveInterval, cancellationToken).ConfigureAwait(false))
                    {
                        // No notification for a while: make sure the connection is alive (a silent network loss
                        // would otherwise leave us waiting forever).
                        await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (string.Equals(e.Channel, _options.NotificationChannel, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _notifications);

            // Claim now, and once more after the senders' cooldown for the records whose notification it suppressed.
            _wakeUp.NotifyCommitted(_options.NotificationCooldown);
        }
    }

    private void ResetListening()
    {
        lock (_gate)
        {
            if (_listening.Task.IsCompleted)
            {
                _listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
