using System.Data.Common;
using OrderOutbox.Storage;

namespace OrderOutbox;

/// <summary>
/// Persistence of outbox records. Implemented by the store packages (<c>OrderOutbox.PostgreSql</c>,
/// <c>OrderOutbox.SqlServer</c>, <c>OrderOutbox.Sqlite</c>); the core never references a database driver.
/// </summary>
/// <remarks>
/// <para><b>Times.</b> Every time the contract compares or writes is passed in by the caller (taken from the
/// dispatcher's <see cref="TimeProvider"/>); a store never reads the database clock for due times or leases.</para>
/// <para><b>Claims and leases.</b> <see cref="ClaimAsync(int, string, DateTimeOffset, DateTimeOffset, CancellationToken)"/> is atomic: a due record is leased to exactly one
/// claim (<c>locked_by</c> = the claim token, <c>locked_until</c> = lease end) and two concurrent claims never
/// return the same record while its lease is current. A record is due when its status is <c>PENDING</c> or
/// <c>FAILED</c>, <c>next_attempt_at</c> ≤ now, and it is not leased or its lease has expired
/// (<c>locked_until</c> ≤ now) — so a record held by an instance that died becomes claimable again.</para>
/// <para><b>Fencing.</b> <see cref="CompleteAsync"/> and <see cref="ReleaseAsync"/> change a record only
/// while its <c>locked_by</c> still equals the claim token it was claimed with. A stale instance whose lease
/// expired and whose record was claimed again cannot overwrite the newer claim's outcome.</para>
/// </remarks>
public interface IOutboxStore
{
    /// <summary>
    /// Inserts <paramref name="entry"/> as a <c>PENDING</c> record, due at <see cref="OutboxEntry.CreatedAt"/>,
    /// on the caller's <paramref name="transaction"/>, so the record commits or rolls back with the business change.
    /// The store does not commit, roll back or dispose the transaction.
    /// </summary>
    /// <param name="transaction">An open transaction of this store's provider.</param>
    /// <param name="entry">The record to insert.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <exception cref="ArgumentException">
    /// The transaction belongs to another provider, or has no open connection; or the entry's message type or aggregate ID
    /// breaks <see cref="Storage.OutboxEntryRules"/> (too long, a control character) — checked before any SQL runs.
    /// Control characters in the headers are stored escaped (<see cref="Storage.StorableText.Escape"/>).
    /// </exception>
    Task EnqueueAsync(DbTransaction transaction, OutboxEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts <paramref name="entries"/> as <c>PENDING</c> records on the caller's <paramref name="transaction"/>, as
    /// <see cref="EnqueueAsync"/> inserts one, in as few round trips as the database allows. Every entry is checked with
    /// <see cref="Storage.OutboxEntryRules.ValidateBatch"/> before any SQL runs, so one bad entry writes nothing; an empty
    /// list runs no SQL. The store does not commit, roll back or dispose the transaction.
    /// </summary>
    /// <remarks>
    /// The built-in stores write the whole list in one statement (PostgreSQL) or in statements of many rows each (SQL
    /// Server, SQLite). This default implementation, for stores that do not override it, checks every entry and then
    /// calls <see cref="EnqueueAsync"/> once per entry.
    /// </remarks>
    /// <param name="transaction">An open transaction of this store's provider.</param>
    /// <param name="entries">The records to insert, in order.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>A task that completes when every record is inserted.</returns>
    /// <exception cref="ArgumentException">As for <see cref="EnqueueAsync"/>; for a bad entry the message names its index.</exception>
    async Task EnqueueManyAsync(DbTransaction transaction, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Storage.OutboxEntryRules.ValidateBatch(entries, nameof(entries));
        for (int i = 0; i < entries.Count; i++)
        {
            await EnqueueAsync(transaction, entries[i], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Atomically leases up to <paramref name="batchSize"/> due records, oldest <c>next_attempt_at</c> first,
    /// to the claim token <paramref name="leaseOwner"/> until <paramref name="leaseUntil"/>, and returns them.
    /// The status is not changed by a claim.
    /// </summary>
    /// <param name="batchSize">The maximum number of records to lease (at least 1).</param>
    /// <param name="leaseOwner">A token unique to this claim (instance ID and claim sequence).</param>
    /// <param name="now">The current time: records due at or before it are claimable.</param>
    /// <param name="leaseUntil">The end of the lease.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The leased records (empty when none is due); <see cref="OutboxMessage.LeaseOwner"/> is <paramref name="leaseOwner"/>.</returns>
    Task<IReadOnlyList<OutboxMessage>> ClaimAsync(int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ClaimAsync(int, string, DateTimeOffset, DateTimeOffset, CancellationToken)"/>, with per-aggregate
    /// ordering: when <paramref name="ordering"/> is not <see cref="ClaimOrdering.Unordered"/>, a record with an aggregate
    /// ID is claimable only when no record of its aggregate enqueued before it (by ID; on SQL Server by insert sequence)
    /// is unfinished — so one claim returns at most one record per aggregate, and no claim, on any instance, takes a
    /// record while an earlier one of its aggregate is leased or waiting for a retry.
    /// </summary>
    /// <param name="batchSize">The maximum number of records to lease (at least 1).</param>
    /// <param name="leaseOwner">A token unique to this claim.</param>
    /// <param name="now">The current time: records due at or before it are claimable.</param>
    /// <param name="leaseUntil">The end of the lease.</param>
    /// <param name="ordering">Which records the aggregate rule lets through.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The leased records, oldest due first.</returns>
    /// <exception cref="NotSupportedException">The store does not implement per-aggregate ordering.</exception>
    Task<IReadOnlyList<OutboxMessage>> ClaimAsync(
        int batchSize, string leaseOwner, DateTimeOffset now, DateTimeOffset leaseUntil, ClaimOrdering ordering, CancellationToken cancellationToken = default)
        => ordering == ClaimOrdering.Unordered
            ? ClaimAsync(batchSize, leaseOwner, now, leaseUntil, cancellationToken)
            : throw new NotSupportedException($"{GetType().Name} does not support OutboxOptions.Ordering = PerAggregate.");

    /// <summary>
    /// Records the outcomes of attempts, fenced by lease owner, and clears their leases — in as few round trips
    /// as the database allows. An outcome whose record is no longer held by <see cref="OutboxOutcome.LeaseOwner"/>
    /// is not written. Lease tokens are compared exactly (binary: case and trailing spaces count). Control characters in
    /// an outcome's <see cref="OutboxOutcome.LastError"/> are stored escaped (<see cref="Storage.StorableText.Escape"/>),
    /// so one odd error text cannot fail the batch.
    /// </summary>
    /// <param name="outcomes">The outcomes to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The IDs whose outcome was rejected by fencing (empty when every outcome was written).</returns>
    Task<IReadOnlyCollection<Guid>> CompleteAsync(IReadOnlyList<OutboxOutcome> outcomes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the leases of claimed records that were not attempted (for example at shutdown), fenced by
    /// <see cref="OutboxMessage.LeaseOwner"/>, so another instance can claim them at once. Status, retry count
    /// and due time are unchanged.
    /// </summary>
    /// <param name="messages">The claimed records to release.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the leases are released.</returns>
    Task ReleaseAsync(IReadOnlyList<OutboxMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates the outbox table and its indexes if they do not exist. Idempotent, and safe to run from several
    /// instances at once.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema exists.</returns>
    Task EnsureSchemaAsync(CancellationToken cancellationToken = default);
}
