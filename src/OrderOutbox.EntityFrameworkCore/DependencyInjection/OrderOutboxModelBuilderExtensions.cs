using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OrderOutbox.EntityFrameworkCore;
using OrderOutbox.Storage;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Maps the outbox table into an Entity Framework Core model.</summary>
public static class OrderOutboxModelBuilderExtensions
{
    /// <summary>
    /// Maps the outbox table (default <c>outbox_messages</c>) so that <c>dbContext.Outbox().Enqueue(…)</c> can write
    /// records with <c>SaveChanges</c>. Call it in <c>OnModelCreating</c>, and <c>UseOrderOutbox()</c> on the context's
    /// options. The table is the Dapper store's (same columns, names and encodings), created by the store's
    /// <c>EnsureSchemaOnStartup</c> or its schema script; it is left out of migrations unless
    /// <see cref="OutboxModelOptions.ExcludeFromMigrations"/> is <see langword="false"/>.
    /// </summary>
    /// <param name="modelBuilder">The model builder of <c>OnModelCreating</c>.</param>
    /// <param name="configure">Sets the schema and table name; keep them equal to the store's options.</param>
    /// <returns><paramref name="modelBuilder"/>.</returns>
    /// <exception cref="ArgumentException">The schema or table name does not match <see cref="SqlIdentifier.Pattern"/>.</exception>
    public static ModelBuilder AddOrderOutbox(this ModelBuilder modelBuilder, Action<OutboxModelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        var options = new OutboxModelOptions();
        configure?.Invoke(options);
        string tableName = SqlIdentifier.Validate(options.TableName, "OutboxModelOptions.TableName");
        string? schema = options.Schema is null ? null : SqlIdentifier.Validate(options.Schema, "OutboxModelOptions.Schema");

        modelBuilder.Entity<OutboxRecord>(record =>
        {
            Action<TableBuilder<OutboxRecord>> table = t =>
            {
                if (options.ExcludeFromMigrations)
                {
                    t.ExcludeFromMigrations();
                }
            };

            // Without a schema the store's default applies (public, dbo), whatever the model's default schema: the
            // provider's default is set when the model is finalized (OutboxStorageConvention).
            record.ToTable(tableName, schema, table);
            record.HasAnnotation(OutboxStorageConvention.SchemaAnnotation, schema);
            record.HasKey(r => r.Id);
            record.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            record.Property(r => r.MessageType).HasColumnName("message_type").IsRequired();
            record.Property(r => r.AggregateId).HasColumnName("aggregate_id");
            record.Property(r => r.Payload).HasColumnName("payload").IsRequired();
            record.Property(r => r.Headers).HasColumnName("headers");
            record.Property(r => r.Status).HasColumnName("status").IsRequired();
            record.Property(r => r.RetryCount).HasColumnName("retry_count");
            record.Property(r => r.NextAttemptAt).HasColumnName("next_attempt_at");
            record.Property(r => r.CreatedAt).HasColumnName("created_at");
        });
        return modelBuilder;
    }
}
