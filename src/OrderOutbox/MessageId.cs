using System.Security.Cryptography;

namespace OrderOutbox;

/// <summary>
/// Generates time-ordered message IDs: RFC 9562 UUID version 7 (48-bit Unix milliseconds, then random bits),
/// so IDs sort by creation time and index well. Works on .NET 8, where <c>Guid.CreateVersion7</c> does not exist.
/// IDs created in the same millisecond of one process are strictly increasing (RFC 9562 method 3: the 12 bits after
/// the version count up within a millisecond), so records enqueued one after the other — the events of one order in one transaction — sort in
/// enqueue order, which per-aggregate ordering relies on.
/// </summary>
public static class MessageId
{
    private static readonly object Gate = new();
    private static long s_lastMs = -1;
    private static int s_lastCounter;

    /// <summary>Creates a UUIDv7 for the current time of <paramref name="timeProvider"/>.</summary>
    /// <param name="timeProvider">The clock; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <returns>A new version-7 UUID.</returns>
    public static Guid NewId(TimeProvider? timeProvider = null)
        => NewId((timeProvider ?? TimeProvider.System).GetUtcNow());

    /// <summary>Creates a UUIDv7 whose timestamp is <paramref name="timestamp"/>.</summary>
    /// <param name="timestamp">The time to embed (millisecond precision).</param>
    /// <returns>A new version-7 UUID.</returns>
    public static Guid NewId(DateTimeOffset timestamp)
    {
        long ms = timestamp.ToUnixTimeMilliseconds();
        if (ms < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "UUIDv7 timestamps start at the Unix epoch.");
        }

        // Big-endian (RFC) byte layout: 48-bit ms timestamp, version nibble 7, 12 random bits,
        // variant 0b10, 62 random bits.
        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b[6..]);
        int counter = ((b[6] & 0x0F) << 8 | b[7]) & 0x7FF; // a random start in the lower half leaves room to count up
        lock (Gate)
        {
            // Only within the millisecond of the previous ID: an explicit earlier timestamp keeps its own time.
            if (ms == s_lastMs)
            {
                counter = s_lastCounter + 1;
                if (counter > 0xFFF)
                {
                    ms++; // 4,096 IDs in one millisecond: borrow the next one, as RFC 9562 allows
                    counter &= 0x7FF;
                }
            }

            if (ms >= s_lastMs)
            {
                s_lastMs = ms;
                s_lastCounter = counter;
            }
        }

        b[6] = (byte)(counter >> 8);
        b[7] = (byte)counter;
        b[0] = (byte)(ms >> 40);
        b[1] = (byte)(ms >> 32);
        b[2] = (byte)(ms >> 24);
        b[3] = (byte)(ms >> 16);
        b[4] = (byte)(ms >> 8);
        b[5] = (byte)ms;
        b[6] = (byte)((b[6] & 0x0F) | 0x70);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        return new Guid(b, bigEndian: true);
    }

    /// <summary>Reads the timestamp embedded in a UUIDv7.</summary>
    /// <param name="id">A version-7 UUID.</param>
    /// <returns>The embedded time, at millisecond precision.</returns>
    public static DateTimeOffset GetTimestamp(Guid id)
    {
        Span<byte> b = stackalloc byte[16];
        id.TryWriteBytes(b, bigEndian: true, out _);
        long ms = ((long)b[0] << 40) | ((long)b[1] << 32) | ((long)b[2] << 24) | ((long)b[3] << 16) | ((long)b[4] << 8) | b[5];
        return DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }
}
