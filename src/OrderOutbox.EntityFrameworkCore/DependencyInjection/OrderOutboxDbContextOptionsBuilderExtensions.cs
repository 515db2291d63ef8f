using Microsoft.EntityFrameworkCore.Infrastructure;
using OrderOutbox.EntityFrameworkCore;
using OrderOutbox.Storage;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Turns on the outbox for a context's options.</summary>
public static class OrderOutboxDbContextOptionsBuilderExtensions
{
    private static readonly TimeSpan MaxNotificationCooldown = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Makes the context write outbox records in its Dapper store's encoding (SQLite, PostgreSQL, SQL Server) and, on
    /// PostgreSQL, send the dispatcher's wake-up in the transaction that writes them. Call it after the provider, for
    /// example <c>o.UseNpgsql(connectionString).UseOrderOutbox()</c>; calling it again replaces the settings.
    /// </summary>
    /// <param name="optionsBuilder">The context's options builder.</param>
    /// <param name="configure">Sets the wake-up; keep it equal to the PostgreSQL store's options.</param>
    /// <returns><paramref name="optionsBuilder"/>.</returns>
    /// <exception cref="ArgumentException"><see cref="OutboxDbContextOptions.NotificationChannel"/> does not match <see cref="SqlIdentifier.Pattern"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="OutboxDbContextOptions.NotificationCooldown"/> is negative or longer than 1 second.</exception>
    public static DbContextOptionsBuilder UseOrderOutbox(this DbContextOptionsBuilder optionsBuilder, Action<OutboxDbContextOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        var options = new OutboxDbContextOptions();
        configure?.Invoke(options);
        string channel = SqlIdentifier.Validate(options.NotificationChannel, "OutboxDbContextOptions.NotificationChannel");
        if (options.NotificationCooldown < TimeSpan.Zero || options.NotificationCooldown > MaxNotificationCooldown)
        {
            throw new ArgumentOutOfRangeException(
                nameof(configure),
                options.NotificationCooldown,
                $"OutboxDbContextOptions.NotificationCooldown = {options.NotificationCooldown} is out of range: it must be between 00:00:00 (every SaveChanges notifies) and {MaxNotificationCooldown}.");
        }

        if (optionsBuilder.Options.FindExtension<OrderOutboxOptionsExtension>() is null)
        {
            optionsBuilder.AddInterceptors(PostgreSqlWakeUpInterceptor.Instance);
        }

        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(new OrderOutboxOptionsExtension(options.UseNotifications, channel, options.NotificationCooldown));
        return optionsBuilder;
    }

    /// <inheritdoc cref="UseOrderOutbox(DbContextOptionsBuilder, Action{OutboxDbContextOptions}?)"/>
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseOrderOutbox<TContext>(
        this DbContextOptionsBuilder<TContext> optionsBuilder, Action<OutboxDbContextOptions>? configure = null)
        where TContext : DbContext
        => (DbContextOptionsBuilder<TContext>)UseOrderOutbox((DbContextOptionsBuilder)optionsBuilder, configure);
}
