using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using OrderOutbox.Storage;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// Gives the mapped outbox table the column encodings of the Dapper store of the context's database, so both write
/// rows the other reads: SQLite keeps the ID as lower-case text and times as integer UTC ticks; SQL Server sizes its
/// strings as the schema script does; PostgreSQL and SQL Server put the table in the store's default schema
/// (<c>public</c>, <c>dbo</c>) unless the model names one. Runs before the type mappings are chosen.
/// </summary>
internal sealed class OutboxStorageConvention(OutboxDatabase database) : IModelFinalizingConvention
{
    /// <summary>The schema given to <c>AddOrderOutbox</c> (<see langword="null"/>: the store's default).</summary>
    internal const string SchemaAnnotation = "OrderOutbox:Schema";

    /// <summary>The canonical lower-case form (<c>0196f3c2-…</c>) the SQLite store writes and compares.</summary>
    internal static readonly ValueConverter<Guid, string> GuidAsText =
        new(id => id.ToString("D", CultureInfo.InvariantCulture), text => Guid.Parse(text));

    /// <summary>UTC ticks, as the SQLite store writes times: exact and indexable.</summary>
    internal static readonly ValueConverter<DateTimeOffset, long> TimeAsUtcTicks =
        new(time => time.UtcTicks, ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

    public void ProcessModelFinalizing(IConventionModelBuilder modelBuilder, IConventionContext<IConventionModelBuilder> context)
    {
        IConventionEntityType? entity = modelBuilder.Metadata.FindEntityType(typeof(OutboxRecord));
        if (entity is null)
        {
            return;
        }

        switch (database)
        {
            case OutboxDatabase.Sqlite:
                if (ExplicitSchema(entity) is { } schema)
                {
                    throw new InvalidOperationException(
                        $"OutboxModelOptions.Schema = '{schema}': SQLite has no schemas, so the SQLite store cannot use one. Leave Schema null.");
                }

                Property(entity, nameof(OutboxRecord.Id)).HasConversion(GuidAsText);
                Property(entity, nameof(OutboxRecord.NextAttemptAt)).HasConversion(TimeAsUtcTicks);
                Property(entity, nameof(OutboxRecord.CreatedAt)).HasConversion(TimeAsUtcTicks);
                break;

            case OutboxDatabase.SqlServer:
                ((IMutableEntityType)entity).SetSchema(ExplicitSchema(entity) ?? "dbo");
                Property(entity, nameof(OutboxRecord.MessageType)).HasMaxLength(OutboxLimits.MaxMessageTypeLength);
                Property(entity, nameof(OutboxRecord.AggregateId)).HasMaxLength(OutboxLimits.MaxAggregateIdLength);
                Property(entity, nameof(OutboxRecord.Status)).IsUnicode(false)?.HasMaxLength(16);
                break;

            case OutboxDatabase.PostgreSql:
                ((IMutableEntityType)entity).SetSchema(ExplicitSchema(entity) ?? "public");
                break;

            default:
                break;
        }
    }

    /// <summary>
    /// The schema <c>AddOrderOutbox</c> was given, ignoring the model's default schema: like the store's options,
    /// <see langword="null"/> means the store's default, whatever <c>HasDefaultSchema</c> says for the other tables.
    /// </summary>
    private static string? ExplicitSchema(IConventionEntityType entity)
        => entity.FindAnnotation(SchemaAnnotation)?.Value as string;

    private static IConventionPropertyBuilder Property(IConventionEntityType entity, string name)
        => entity.FindProperty(name)?.Builder
           ?? throw new InvalidOperationException($"The outbox entity has no property {name}.");
}
