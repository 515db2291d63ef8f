using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using OrderOutbox.Hosting;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// On PostgreSQL, sends the dispatcher's wake-up (<c>pg_notify(channel, '')</c>) inside the transaction that writes
/// new outbox records, so PostgreSQL delivers it when that transaction commits and never when it rolls back:
/// <list type="bullet">
/// <item><description>a <c>SaveChanges</c> inside a transaction of yours (<c>Database.BeginTransaction</c>,
/// <c>UseTransaction</c>) notifies at once, in that transaction;</description></item>
/// <item><description>a <c>SaveChanges</c> that opens its own transaction notifies in it, right after it begins
/// (again on each retry of an execution strategy);</description></item>
/// <item><description>a <c>SaveChanges</c> that needed no transaction (a single statement, committed on its own, or
/// an ambient <c>TransactionScope</c>) notifies right after it, once the record is written.</description></item>
/// </list>
/// At most one notification per <see cref="OutboxDbContextOptions.NotificationCooldown"/> leaves this process (the limiter
/// is shared with the PostgreSQL store's writer); the dispatcher claims again after the cooldown for the others.
/// On every database, when the context comes from an application that runs OrderOutbox, the dispatcher of this process is
/// also woken (<see cref="OutboxWakeUp.Notify"/>) once the records are committed — when <c>SaveChanges</c> returns from
/// its own transaction, or when the caller's transaction commits — so SQLite and SQL Server need not wait for the poll.
/// Contexts without new outbox records pass through untouched. One instance serves every context (thread-safe).
/// </summary>
internal sealed class PostgreSqlWakeUpInterceptor : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    internal const string NotifySql = "SELECT pg_notify($1, '')";

    private readonly ConditionalWeakTable<DbContext, PendingWakeUp> _pending = new();
    private readonly ConditionalWeakTable<DbContext, OutboxWakeUp> _awaitingCommit = new();

    private PostgreSqlWakeUpInterceptor()
    {
    }

    public static PostgreSqlWakeUpInterceptor Instance { get; } = new();

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        RunSynchronously(OnSavingAsync(eventData.Context, async: false, CancellationToken.None));
        return result;
    }

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await OnSavingAsync(eventData.Context, async: true, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        RunSynchronously(OnTransactionStartedAsync(connection, eventData.Context, result, async: false, CancellationToken.None));
        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(
        DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        await OnTransactionStartedAsync(connection, eventData.Context, result, async: true, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        RunSynchronously(OnSavedAsync(eventData.Context, async: false, CancellationToken.None));
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await OnSavedAsync(eventData.Context, async: true, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Forget(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => Forget(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => ForgetCommit(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetCommit(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => ForgetCommit(eventData.Context);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetCommit(eventData.Context);
        return Task.CompletedTask;
    }

    private async ValueTask OnSavingAsync(DbContext? context, bool async, CancellationToken cancellationToken)
    {
        if (context is null || !HasNewRecords(context))
        {
            return;
        }

        OrderOutboxOptionsExtension? notifier = NotifierFor(context);
        OutboxWakeUp? local = LocalWakeUp(context);
        if (notifier is not null && context.Database.CurrentTransaction is { } transaction)
        {
            if (notifier.NotificationLimiter.ShouldNotify())
            {
                await NotifyAsync(context.Database.GetDbConnection(), transaction.GetDbTransaction(), notifier.NotificationChannel, async, cancellationToken).ConfigureAwait(false);
            }

            notifier = null;
        }

        if (notifier is not null || local is not null)
        {
            _pending.AddOrUpdate(context, new PendingWakeUp(notifier, local));
        }
    }

    private async ValueTask OnTransactionStartedAsync(
        DbConnection connection, DbContext? context, DbTransaction transaction, bool async, CancellationToken cancellationToken)
    {
        if (context is not null && _pending.TryGetValue(context, out PendingWakeUp? pending) && pending.Notifier is { } notifier)
        {
            // Asked again on each retry of an execution strategy: the limiter lets it through if the cooldown is over.
            if (notifier.NotificationLimiter.ShouldNotify())
            {
                await NotifyAsync(connection, transaction, notifier.NotificationChannel, async, cancellationToken).ConfigureAwait(false);
            }

            pending.Handled = true;
        }
    }

    private async ValueTask OnSavedAsync(DbContext? context, bool async, CancellationToken cancellationToken)
    {
        if (context is null || !_pending.TryGetValue(context, out PendingWakeUp? pending))
        {
            return;
        }

        _pending.Remove(context);
        if (pending.Local is { } local)
        {
            // The dispatcher of this process wakes when the records are committed: now, when SaveChanges ran its own
            // transaction (or none), else when the caller's transaction commits.
            if (context.Database.CurrentTransaction is null)
            {
                local.Notify();
            }
            else
            {
                _awaitingCommit.AddOrUpdate(context, local);
            }
        }

        if (pending.Notifier is not { } notifier || pending.Handled || !notifier.NotificationLimiter.ShouldNotify())
        {
            return;
        }

        // No transaction of its own: the records are already committed (or belong to an ambient transaction the
        // connection is enlisted in), so the wake-up goes out now, on the same connection.
        DatabaseFacade database = context.Database;
        if (async)
        {
            await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            database.OpenConnection();
        }

        try
        {
            await NotifyAsync(database.GetDbConnection(), transaction: null, notifier.NotificationChannel, async, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (async)
            {
                await database.CloseConnectionAsync().ConfigureAwait(false);
            }
            else
            {
                database.CloseConnection();
            }
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && _awaitingCommit.TryGetValue(context, out OutboxWakeUp? local))
        {
            _awaitingCommit.Remove(context);
            local.Notify();
        }
    }

    private void ForgetCommit(DbContext? context)
    {
        if (context is not null)
        {
            _awaitingCommit.Remove(context);
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            _pending.Remove(context);
        }
    }

    /// <summary>The context's wake-up settings, or <see langword="null"/> when this context does not send <c>pg_notify</c>.</summary>
    private static OrderOutboxOptionsExtension? NotifierFor(DbContext context)
    {
        OrderOutboxOptionsExtension? settings = context.GetService<IDbContextOptions>().FindExtension<OrderOutboxOptionsExtension>();
        return settings is { UseNotifications: true } && OutboxDatabases.FromProviderName(context.Database.ProviderName) == OutboxDatabase.PostgreSql
            ? settings
            : null;
    }

    /// <summary>The <see cref="OutboxWakeUp"/> of the application the context was resolved from (when it runs OrderOutbox), on any database.</summary>
    private static OutboxWakeUp? LocalWakeUp(DbContext context)
        => context.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider?.GetService(typeof(OutboxWakeUp)) as OutboxWakeUp;

    /// <summary>
    /// Whether the change tracker holds outbox records to insert. Records are only ever added through
    /// <c>Outbox().Enqueue</c>, which sets their state at once, so no change detection is needed to find them.
    /// </summary>
    private static bool HasNewRecords(DbContext context)
    {
        ChangeTracker tracker = context.ChangeTracker;
        bool autoDetect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (EntityEntry<OutboxRecord> entry in tracker.Entries<OutboxRecord>())
            {
                if (entry.State == EntityState.Added)
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    private static async ValueTask NotifyAsync(DbConnection connection, DbTransaction? transaction, string channel, bool async, CancellationToken cancellationToken)
    {
        using DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = NotifySql;
        DbParameter parameter = command.CreateParameter();
        parameter.Value = channel;
        command.Parameters.Add(parameter);
        if (async)
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Ends a call made with <c>async: false</c>, which never awaits anything unfinished.</summary>
    private static void RunSynchronously(ValueTask task)
    {
        if (!task.IsCompleted)
        {
            throw new InvalidOperationException("The synchronous wake-up path did not complete synchronously.");
        }

        task.GetAwaiter().GetResult();
    }

    /// <summary>A <c>SaveChanges</c> with new outbox records: the notification still to send (if any) and this process's dispatcher.</summary>
    private sealed class PendingWakeUp(OrderOutboxOptionsExtension? notifier, OutboxWakeUp? local)
    {
        public OrderOutboxOptionsExtension? Notifier { get; } = notifier;

        public OutboxWakeUp? Local { get; } = local;

        public bool Handled { get; set; }
    }
}
