using System.Diagnostics.CodeAnalysis;

namespace OrderOutbox;

/// <summary>
/// Tells which named endpoint a message type is delivered to. <c>UseHttpDispatcher</c> registers one built from
/// <c>HttpDispatcherOptions.Routes</c>; the writer asks it at enqueue, so a message type with no route (and no default
/// endpoint) is refused with an <see cref="ArgumentException"/> instead of being stored and never delivered.
/// Without a registered router every message type is accepted.
/// </summary>
/// <remarks>Implementations must be thread-safe and fast: the writer calls it on every enqueue.</remarks>
public interface IOutboxRouter
{
    /// <summary>The names of every endpoint a message type can be routed to.</summary>
    IReadOnlyCollection<string> EndpointNames { get; }

    /// <summary>Finds the endpoint <paramref name="messageType"/> is delivered to.</summary>
    /// <param name="messageType">The message type, for example <c>order.completed</c>.</param>
    /// <param name="endpointName">The endpoint's name, when there is a route or a default.</param>
    /// <returns>Whether the message type has a destination.</returns>
    bool TryGetEndpoint(string messageType, [NotNullWhen(true)] out string? endpointName);
}
