using System.Globalization;
using System.Security.Cryptography;

namespace OrderOutbox.Processing;

/// <summary>Names this engine instance and hands out one lease token per claim (<c>locked_by</c>).</summary>
internal sealed class LeaseTokens
{
    private long _sequence;

    /// <param name="instanceId">The configured instance name, or <see langword="null"/> for machine name, process ID and a random suffix.</param>
    public LeaseTokens(string? instanceId)
        => InstanceId = string.IsNullOrWhiteSpace(instanceId) ? CreateInstanceId() : instanceId;

    /// <summary>The name of this instance, the first part of every lease token.</summary>
    public string InstanceId { get; }

    /// <summary>Returns the next lease token: <c>{instanceId}/{sequence}</c>, unique per claim.</summary>
    /// <returns>The token.</returns>
    public string Next()
        => string.Create(CultureInfo.InvariantCulture, $"{InstanceId}/{Interlocked.Increment(ref _sequence)}");

    private static string CreateInstanceId()
    {
        string machine = Environment.MachineName;
        if (machine.Length > 60)
        {
            machine = machine[..60];
        }

        Span<byte> random = stackalloc byte[4];
        RandomNumberGenerator.Fill(random);
        return string.Create(CultureInfo.InvariantCulture, $"{machine}-{Environment.ProcessId}-{Convert.ToHexString(random).ToLowerInvariant()}");
    }
}
