namespace OrderOutbox.Writing;

/// <summary>The enqueue-time check that a message type has a destination, shared by every way of enqueueing.</summary>
internal static class OutboxRouteCheck
{
    /// <summary>Throws when <paramref name="router"/> exists and routes <paramref name="messageType"/> nowhere.</summary>
    public static void Require(IOutboxRouter? router, string messageType, string parameterName)
    {
        if (router is not null && !router.TryGetEndpoint(messageType, out _))
        {
            throw new ArgumentException(
                $"The message type '{messageType}' has no route and there is no default endpoint, so it would never be delivered: " +
                $"add a route for it (or a prefix route such as '{Example(messageType)}') to HttpDispatcherOptions.Routes (configuration OrderOutbox:Http:Routes), " +
                "or set HttpDispatcherOptions.DefaultEndpoint (or HttpDispatcherOptions.Endpoint).",
                parameterName);
        }
    }

    private static string Example(string messageType)
    {
        int dot = messageType.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? messageType[..dot] + ".*" : messageType + ".*";
    }
}
