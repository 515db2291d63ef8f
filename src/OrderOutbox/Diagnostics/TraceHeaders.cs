using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace OrderOutbox.Diagnostics;

/// <summary>Writes and reads the small JSON headers object of a record (<c>traceparent</c>, <c>tracestate</c>).</summary>
internal static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>
    /// Captures the W3C trace context of <paramref name="activity"/> as <c>{"traceparent":…,"tracestate":…}</c>,
    /// or returns <see langword="null"/> when there is no activity or it does not use W3C IDs.
    /// </summary>
    public static string? Capture(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString(TraceParent, id);
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                writer.WriteString(TraceState, activity.TraceStateString);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads <c>traceparent</c> and <c>tracestate</c> from a headers object; tolerates anything malformed.</summary>
    public static bool TryRead(string? headers, out string? traceParent, out string? traceState)
    {
        traceParent = null;
        traceState = null;
        if (string.IsNullOrEmpty(headers))
        {
            return false;
        }

        byte[]? rented = null;
        int max = Encoding.UTF8.GetMaxByteCount(headers.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int length = Encoding.UTF8.GetBytes(headers, bytes);
            var reader = new Utf8JsonReader(bytes[..length]);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isParent = reader.ValueTextEquals(TraceParent);
                bool isState = !isParent && reader.ValueTextEquals(TraceState);
                if (!reader.Read())
                {
                    break;
                }

                if (reader.TokenType == JsonTokenType.String)
                {
                    if (isParent)
                    {
                        traceParent = reader.GetString();
                    }
                    else if (isState)
                    {
                        traceState = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return traceParent is not null;
        }
        catch (JsonException)
        {
            return traceParent is not null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
