using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Signs deliveries as the Standard Webhooks specification asks: <c>webhook-signature</c> = <c>v1,</c> + base64
/// HMAC-SHA256 of <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the base64-decoded part of a
/// <c>whsec_</c> secret; one signature per secret, separated by spaces, so a receiver can rotate its secret.
/// Holds only the decoded keys; the secrets' text is never kept, logged or put into an error.
/// </summary>
internal sealed class WebhookSigner
{
    /// <summary>The prefix of a Standard Webhooks secret.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The shortest and longest decoded key, in bytes.</summary>
    public const int MinKeyBytes = 24;

    /// <inheritdoc cref="MinKeyBytes"/>
    public const int MaxKeyBytes = 64;

    private readonly byte[][] _keys;

    private WebhookSigner(byte[][] keys) => _keys = keys;

    /// <summary>The signer of <paramref name="secrets"/>, or <see langword="null"/> when there are none (signing off).
    /// The secrets must already be valid (see <see cref="Describe"/>).</summary>
    public static WebhookSigner? Create(IReadOnlyList<string>? secrets)
    {
        if (secrets is null || secrets.Count == 0)
        {
            return null;
        }

        var keys = new byte[secrets.Count][];
        for (int i = 0; i < secrets.Count; i++)
        {
            keys[i] = Decode(secrets[i]) ?? throw new ArgumentException($"Signing secret #{i} is not a valid whsec_ secret.", nameof(secrets));
        }

        return new WebhookSigner(keys);
    }

    /// <summary>
    /// What is wrong with a secret, without quoting it, or <see langword="null"/> when it is valid:
    /// <c>whsec_</c> followed by base64 that decodes to 24 to 64 bytes.
    /// </summary>
    public static string? Describe(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return "is empty; expected whsec_ followed by base64 of 24 to 64 random bytes";
        }

        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return "does not start with whsec_ (a Standard Webhooks secret is whsec_ followed by base64 of 24 to 64 random bytes)";
        }

        byte[]? key = DecodeAny(secret);
        if (key is null)
        {
            return "is not valid base64 after whsec_";
        }

        return key.Length is < MinKeyBytes or > MaxKeyBytes
            ? string.Create(CultureInfo.InvariantCulture, $"decodes to {key.Length} bytes; allowed {MinKeyBytes} to {MaxKeyBytes}")
            : null;
    }

    /// <summary>The <c>webhook-signature</c> header value for one delivery.</summary>
    public string Sign(string id, long timestamp, string body)
    {
        string prefix = string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}.");
        int length = Encoding.UTF8.GetByteCount(prefix) + Encoding.UTF8.GetByteCount(body);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = Encoding.UTF8.GetBytes(prefix, buffer);
            written += Encoding.UTF8.GetBytes(body, buffer.AsSpan(written));
            ReadOnlySpan<byte> content = buffer.AsSpan(0, written);
            var header = new StringBuilder(_keys.Length * 48);
            Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
            foreach (byte[] key in _keys)
            {
                HMACSHA256.HashData(key, content, hash);
                if (header.Length > 0)
                {
                    header.Append(' ');
                }

                header.Append("v1,").Append(Convert.ToBase64String(hash));
            }

            return header.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    private static byte[]? Decode(string secret)
        => Describe(secret) is null ? DecodeAny(secret) : null;

    private static byte[]? DecodeAny(string secret)
    {
        try
        {
            return Convert.FromBase64String(secret[SecretPrefix.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
