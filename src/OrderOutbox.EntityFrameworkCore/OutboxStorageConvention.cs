using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// Gives the mapped outbox table the column encodings of the Dapper store of the context's database, so both write
/// rows the other reads: SQLite keeps the ID as lower-case text and times as integer UTC ticks; SQL Server sizes its
/// strings as the schema script does; PostgreSQL and SQL Server put the table in the store's default schema
/// (<c>public</c>, <c>dbo</c>) unless the model names one. Runs before the type mappings are chosen.
/// </summary>
internal sealed class OutboxStorageConvention(OutboxDatabase database) : IModelFinalizingConvention
{
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
                if (entity.GetSchema() is { } schema)
                {
                    throw new InvalidOperationException(
                        $"OutboxModelOptions.Schema = '{schema}': SQLite has no schemas, so the SQLite store cannot use one. Leave Schema null.");
                }

                Property(entity, nameof(OutboxRecord.Id)).HasConversion(GuidAsText);
                Property(entity, nameof(OutboxRecord.NextAttemptAt)).HasConversion(TimeAsUtcTicks);
                Property(entity, nameof(OutboxRecord.CreatedAt)).HasConversion(TimeAsUtcTicks);
                break;

            case OutboxDatabase.SqlServer:
                entity.Builder.ToSchema(entity.GetSchema() ?? "dbo");
                Property(entity, nameof(OutboxRecord.MessageType)).HasMaxLength(200);
                Property(entity, nameof(OutboxRecord.AggregateId)).HasMaxLength(450);
                Property(entity, nameof(OutboxRecord.Status)).IsUnicode(false)?.HasMaxLength(16);
                break;

            case OutboxDatabase.PostgreSql:
                entity.Builder.ToSchema(entity.GetSchema() ?? "public");
                break;

            default:
                break;
        }
    }

    private static IConventionPropertyBuilder Property(IConventionEntityType entity, string name)
        => entity.FindProperty(name)?.Builder
           ?? throw new InvalidOperationException($"The outbox entity has no property {name}.");
}
