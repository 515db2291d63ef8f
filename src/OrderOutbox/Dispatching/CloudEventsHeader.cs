using System.Text;

namespace OrderOutbox.Dispatching;

/// <summary>
/// Percent-encodes CloudEvents HTTP header values (binary mode): space, <c>"</c>, <c>%</c> and anything outside
/// printable ASCII are written as <c>%XX</c> of their UTF-8 bytes. Values that need nothing are returned as they are.
/// </summary>
internal static class CloudEventsHeader
{
    public static string Encode(string value)
    {
        int i = 0;
        while (i < value.Length && !NeedsEncoding(value[i]))
        {
            i++;
        }

        if (i == value.Length)
        {
            return value;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        var builder = new StringBuilder(utf8.Length * 3);
        foreach (byte b in utf8)
        {
            if (b >= 0x80 || NeedsEncoding((char)b))
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
            else
            {
                builder.Append((char)b);
            }
        }

        return builder.ToString();
    }

    private static bool NeedsEncoding(char c) => c is < '!' or > '~' or '"' or '%';

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);
}
