using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.Storage;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// What <c>UseOrderOutbox()</c> adds to a context's options: the store encodings of the mapped outbox table (through
/// <see cref="OutboxConventionSetPlugin"/>) and the settings of the PostgreSQL wake-up.
/// </summary>
internal sealed class OrderOutboxOptionsExtension : IDbContextOptionsExtension
{
    private DbContextOptionsExtensionInfo? _info;

    public OrderOutboxOptionsExtension(bool useNotifications, string notificationChannel, TimeSpan notificationCooldown)
    {
        UseNotifications = useNotifications;
        NotificationChannel = notificationChannel;
        NotificationCooldown = notificationCooldown;
        NotificationLimiter = NotificationLimiter.ForChannel(notificationChannel, notificationCooldown, TimeProvider.System);
    }

    public TimeSpan NotificationCooldown { get; }

    /// <summary>The process's limiter of <see cref="NotificationChannel"/>, shared with the PostgreSQL store's writer.</summary>
    public NotificationLimiter NotificationLimiter { get; }

    public bool UseNotifications { get; }

    public string NotificationChannel { get; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    public void ApplyServices(IServiceCollection services)
        => new EntityFrameworkServicesBuilder(services).TryAdd<IConventionSetPlugin, OutboxConventionSetPlugin>();

    public void Validate(IDbContextOptions options)
    {
    }

    private sealed class ExtensionInfo(OrderOutboxOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        private new OrderOutboxOptionsExtension Extension => (OrderOutboxOptionsExtension)base.Extension;

        public override bool IsDatabaseProvider => false;

        public override string LogFragment
            => Extension.UseNotifications ? $"using OrderOutbox (NOTIFY {Extension.NotificationChannel}) " : "using OrderOutbox ";

        // The settings are read per context at SaveChanges; the internal services are the same for every value.
        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo)
        {
            debugInfo["OrderOutbox:UseNotifications"] = Extension.UseNotifications ? "1" : "0";
            debugInfo["OrderOutbox:NotificationChannel"] = Extension.NotificationChannel;
            debugInfo["OrderOutbox:NotificationCooldown"] = Extension.NotificationCooldown.ToString();
        }
    }
}
