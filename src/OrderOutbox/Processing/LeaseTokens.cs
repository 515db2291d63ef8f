using System.Globalization;
using System.Security.Cryptography;

namespace OrderOutbox.Processing;

/// <summary>Names this engine instance and hands out one lease token per claim (<c>locked_by</c>).</summary>
internal sealed class LeaseTokens
{
    private readonly string _prefix;
    private long _sequence;

    /// <param name="instanceId">The configured instance name, or <see langword="null"/> for machine name, process ID and a random suffix.</param>
    public LeaseTokens(string? instanceId)
    {
        InstanceId = string.IsNullOrWhiteSpace(instanceId) ? CreateInstanceId() : instanceId;
        _prefix = InstanceId + "/" + RandomHex(8) + "/";
    }

    /// <summary>The name of this instance, the first part of every lease token.</summary>
    public string InstanceId { get; }

    /// <summary>
    /// Returns the next lease token, <c>{instanceId}/{random}/{sequence}</c>: the random part (16 hex digits, drawn once
    /// per engine) keeps tokens unique across processes even when replicas share a configured
    /// <see cref="OutboxOptions.InstanceId"/> and their sequences restart at 1.
    /// </summary>
    /// <returns>The token.</returns>
    public string Next()
        => string.Create(CultureInfo.InvariantCulture, $"{_prefix}{Interlocked.Increment(ref _sequence)}");

    private static string RandomHex(int bytes)
    {
        Span<byte> random = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexString(random).ToLowerInvariant();
    }

    private static string CreateInstanceId()
    {
        string machine = Environment.MachineName;
        if (machine.Length > 60)
        {
            machine = machine[..60];
        }

        return string.Create(CultureInfo.InvariantCulture, $"{machine}-{Environment.ProcessId}-{RandomHex(4)}");
    }
}
