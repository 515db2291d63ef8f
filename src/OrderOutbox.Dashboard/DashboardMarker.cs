namespace OrderOutbox.Dashboard;

/// <summary>Registered by <c>AddOrderOutboxDashboard</c>, so <c>MapOrderOutboxDashboard</c> can tell that it was called.</summary>
internal sealed class DashboardMarker;
