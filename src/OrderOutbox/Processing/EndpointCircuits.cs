using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace OrderOutbox.Processing;

/// <summary>
/// The circuits of this instance, one per endpoint, each a <see cref="CircuitState"/> behind a lock: the workers ask
/// <see cref="Admit"/> before a call and report with <see cref="Record"/>; the claimers ask <see cref="ClaimLimit"/> so an
/// instance whose every endpoint is open claims nothing but the probe. Logs once per transition and publishes the
/// <c>orderoutbox.circuit.state</c> gauge.
/// </summary>
internal sealed partial class EndpointCircuits
{
    /// <summary>The endpoint key of every record while the engine has no route table: one endpoint.</summary>
    public const string DefaultEndpoint = "default";

    /// <summary>Tag: the endpoint a circuit belongs to.</summary>
    public const string EndpointTag = "orderoutbox.endpoint";

    private readonly Dictionary<string, CircuitState> _circuits = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly CircuitSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<OutboxMessage, string> _endpointOf;

    public EndpointCircuits(CircuitOptions options, TimeProvider time, Meter meter, ILogger logger, Func<OutboxMessage, string>? endpointOf = null)
    {
        _settings = CircuitSettings.From(options);
        _time = time;
        _logger = logger;
        _endpointOf = endpointOf ?? (static _ => DefaultEndpoint);
        meter.CreateObservableGauge(
            "orderoutbox.circuit.state",
            Observe,
            "{state}",
            "The outage circuit of each endpoint on this instance: 0 closed, 1 half-open (probing), 2 open.");
    }

    /// <summary>The endpoint of a record as the route table says (<see cref="IOutboxRouter"/>), or <see cref="DefaultEndpoint"/>
    /// without a router or a route.</summary>
    public static Func<OutboxMessage, string>? RouteOf(IOutboxRouter? router)
        => router is null ? null : m => router.TryGetEndpoint(m.MessageType, out string? name) ? name : DefaultEndpoint;

    /// <summary>The endpoint a record is delivered to.</summary>
    public string EndpointOf(OutboxMessage message) => _endpointOf(message);

    /// <summary>The current phase of an endpoint's circuit (closed when it has none yet).</summary>
    public CircuitPhase PhaseOf(string endpoint)
    {
        lock (_gate)
        {
            return _circuits.TryGetValue(endpoint, out CircuitState state) ? state.Phase : CircuitPhase.Closed;
        }
    }

    /// <summary>The endpoints whose circuit is open or half-open (probing), in name order.</summary>
    public IReadOnlyList<string> OpenEndpoints()
    {
        lock (_gate)
        {
            return _circuits.Where(c => c.Value.Phase != CircuitPhase.Closed).Select(c => c.Key).Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Decides what a claimed record of <paramref name="endpoint"/> may do now.</summary>
    public CircuitAdmission Admit(string endpoint)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!_circuits.TryGetValue(endpoint, out CircuitState state))
            {
                return CircuitAdmission.Attempt;
            }

            (CircuitState next, CircuitAdmission admission) = state.Admit(now, _settings);
            _circuits[endpoint] = next;
            if (admission == CircuitAdmission.Probe)
            {
                LogProbing(endpoint, next.FailedProbes + 1);
            }

            return admission;
        }
    }

    /// <summary>Folds in how an attempt on <paramref name="endpoint"/> ended.</summary>
    public void Record(string endpoint, CircuitResult result, bool wasProbe)
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            CircuitState state = _circuits.TryGetValue(endpoint, out CircuitState known) ? known : CircuitState.Closed(now);
            CircuitState next = state.Record(result, wasProbe, now, _settings);
            _circuits[endpoint] = next;
            if (state.Phase == next.Phase)
            {
                return;
            }

            switch (next.Phase)
            {
                case CircuitPhase.Open when state.Phase == CircuitPhase.Closed:
                    LogOpened(endpoint, next.ConsecutiveFailures, next.WindowFailures, next.WindowAttempts, next.ProbeAt - now);
                    break;
                case CircuitPhase.Open:
                    LogProbeFailed(endpoint, next.FailedProbes, next.ProbeAt - now);
                    break;
                case CircuitPhase.Closed:
                    LogClosed(endpoint, now - state.OpenedAt, state.FailedProbes);
                    break;
            }
        }
    }

    /// <summary>
    /// The most records a claim may take now: <see cref="int.MaxValue"/> while any endpoint is closed (or none is known),
    /// 1 when every endpoint is open and a probe is due, 0 when every endpoint is open or probing.
    /// </summary>
    public int ClaimLimit()
    {
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_circuits.Count == 0)
            {
                return int.MaxValue;
            }

            bool probeDue = false;
            foreach (CircuitState state in _circuits.Values)
            {
                if (state.Phase == CircuitPhase.Closed)
                {
                    return int.MaxValue;
                }

                probeDue |= now >= state.ProbeAt;
            }

            return probeDue ? 1 : 0;
        }
    }

    private IEnumerable<Measurement<int>> Observe()
    {
        List<Measurement<int>> measurements;
        lock (_gate)
        {
            measurements = new List<Measurement<int>>(Math.Max(1, _circuits.Count));
            foreach ((string endpoint, CircuitState state) in _circuits)
            {
                measurements.Add(new Measurement<int>((int)state.Phase, new KeyValuePair<string, object?>(EndpointTag, endpoint)));
            }
        }

        if (measurements.Count == 0)
        {
            measurements.Add(new Measurement<int>(0, new KeyValuePair<string, object?>(EndpointTag, DefaultEndpoint)));
        }

        return measurements;
    }
}
