using Microsoft.Extensions.Configuration;
using OrderOutbox.Storage;

namespace OrderOutbox.FaultInjection.Worker;

/// <summary>The worker's own settings (section <c>Worker</c>); the outbox options come from section <c>OrderOutbox</c>.</summary>
internal sealed class WorkerSettings
{
    public required string ConnectionString { get; init; }

    public required string Schema { get; init; }

    public required Uri Endpoint { get; init; }

    public bool UseNotifications { get; init; } = true;

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public static WorkerSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection("Worker");
        string Required(string key) => section[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Worker:{key} is required.");

        return new WorkerSettings
        {
            ConnectionString = Required("ConnectionString"),
            Schema = SqlIdentifier.Validate(Required("Schema"), "Worker:Schema"),
            Endpoint = new Uri(Required("Endpoint"), UriKind.Absolute),
            UseNotifications = section.GetValue("UseNotifications", true),
            ShutdownTimeout = section.GetValue("ShutdownTimeout", TimeSpan.FromSeconds(20)),
        };
    }
}
