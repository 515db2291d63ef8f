namespace OrderOutbox.Operations.Tests.Support;

/// <summary>One record to seed: its type, enqueue time and final state (with the time of its last attempt).</summary>
public sealed record SeedRecord(string Type, DateTimeOffset CreatedAt, OutboxStatus Status, DateTimeOffset? AttemptedAt = null, string? Error = null)
{
    public Guid Id { get; } = Guid.CreateVersion7();
}

/// <summary>
/// Writes records through the store's own API, the way the dispatcher leaves them: enqueue in a committed
/// transaction, claim, then record each outcome (SENT, DEAD_LETTER) or release it (PENDING).
/// </summary>
internal static class OutboxSeeder
{
    public static async Task<IOutboxAdmin> SeedAsync(ITestDatabase database, string table, IReadOnlyList<SeedRecord> records)
    {
        var (store, admin) = database.CreateStore(table);
        await store.EnsureSchemaAsync();
        await using (var connection = await database.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (SeedRecord record in records)
            {
                await store.EnqueueAsync(transaction, new OutboxEntry(record.Id, record.Type, "order-" + record.Id.ToString("N")[..6], "{\"n\":1}", null, record.CreatedAt));
            }

            await transaction.CommitAsync();
        }

        DateTimeOffset now = records.Max(r => r.CreatedAt).AddDays(1);
        IReadOnlyList<OutboxMessage> claimed = await store.ClaimAsync(records.Count, "seeder", now, now.AddHours(1));
        var byId = records.ToDictionary(r => r.Id);
        var outcomes = claimed.Where(m => byId[m.Id].Status != OutboxStatus.Pending).Select(m =>
        {
            SeedRecord r = byId[m.Id];
            DateTimeOffset attempted = r.AttemptedAt ?? r.CreatedAt.AddSeconds(1);
            return new OutboxOutcome(m.Id, m.LeaseOwner!, r.Status, r.Status == OutboxStatus.Sent ? 0 : 6, attempted, attempted, null, r.Status == OutboxStatus.Sent ? null : r.Error ?? "HTTP 503 Service Unavailable");
        }).ToList();
        await store.CompleteAsync(outcomes);
        await store.ReleaseAsync(claimed.Where(m => byId[m.Id].Status == OutboxStatus.Pending).ToList());
        return admin;
    }
}
