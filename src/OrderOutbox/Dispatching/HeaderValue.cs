namespace OrderOutbox.Dispatching;

/// <summary>Which stored values can go into an HTTP request header as they are.</summary>
internal static class HeaderValue
{
    /// <summary>
    /// Whether <paramref name="value"/> is visible ASCII, space or tab only (the characters W3C trace context allows, and a
    /// subset of what RFC 9110 allows in a field value). Anything else, CR and LF above all, would either break the
    /// request or be sent raw (a CR LF would start a header of its own), so such a value is not sent.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <returns>Whether it can be sent unchanged.</returns>
    public static bool IsSendable(string value)
    {
        foreach (char c in value)
        {
            if (c is not ((>= ' ' and <= '~') or '\t'))
            {
                return false;
            }
        }

        return true;
    }
}
