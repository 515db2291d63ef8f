namespace OrderOutbox.Cli;

/// <summary>The database an outbox lives in (<c>--store</c>).</summary>
internal enum StoreKind
{
    PostgreSql,
    SqlServer,
    Sqlite,
}

/// <summary>Parses <c>--store</c> (pure).</summary>
internal static class StoreKinds
{
    public const string Allowed = "postgresql, sqlserver or sqlite";

    public static StoreKind? Parse(string? text) => text?.ToLowerInvariant() switch
    {
        "postgresql" or "postgres" or "pg" => StoreKind.PostgreSql,
        "sqlserver" or "mssql" => StoreKind.SqlServer,
        "sqlite" => StoreKind.Sqlite,
        _ => null,
    };
}
