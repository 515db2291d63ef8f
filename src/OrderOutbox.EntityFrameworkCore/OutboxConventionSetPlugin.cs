using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata.Conventions;
using Microsoft.EntityFrameworkCore.Metadata.Conventions.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace OrderOutbox.EntityFrameworkCore;

/// <summary>
/// Adds <see cref="OutboxStorageConvention"/> for the context's provider, first among the model-finalizing
/// conventions so its converters are in place before the type mappings are chosen.
/// </summary>
internal sealed class OutboxConventionSetPlugin(IDbContextOptions options, IEnumerable<IDatabaseProvider> providers) : IConventionSetPlugin
{
    public ConventionSet ModifyConventions(ConventionSet conventionSet)
    {
        string? providerName = providers.FirstOrDefault(p => p.IsConfigured(options))?.Name;
        conventionSet.ModelFinalizingConventions.Insert(0, new OutboxStorageConvention(OutboxDatabases.FromProviderName(providerName)));
        return conventionSet;
    }
}
