namespace OrderOutbox.EntityFrameworkCore;

/// <summary>The databases whose Dapper store encodings the EF Core mapping reproduces.</summary>
internal enum OutboxDatabase
{
    /// <summary>Another provider (for example the in-memory one of unit tests): no store-specific encoding.</summary>
    Other,

    /// <summary>Npgsql: <c>uuid</c>, <c>text</c>, <c>timestamptz</c> in UTC, schema <c>public</c>.</summary>
    PostgreSql,

    /// <summary>Microsoft.EntityFrameworkCore.SqlServer: <c>nvarchar(200)</c>, <c>nvarchar(450)</c>, <c>varchar(16)</c>, schema <c>dbo</c>.</summary>
    SqlServer,

    /// <summary>Microsoft.EntityFrameworkCore.Sqlite: the ID as lower-case text, times as integer UTC ticks.</summary>
    Sqlite,
}

/// <summary>Recognises the provider from its name (<c>DatabaseFacade.ProviderName</c>).</summary>
internal static class OutboxDatabases
{
    public const string PostgreSqlProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";
    public const string SqlServerProvider = "Microsoft.EntityFrameworkCore.SqlServer";
    public const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";

    public static OutboxDatabase FromProviderName(string? providerName) => providerName switch
    {
        PostgreSqlProvider => OutboxDatabase.PostgreSql,
        SqlServerProvider => OutboxDatabase.SqlServer,
        SqliteProvider => OutboxDatabase.Sqlite,
        _ => OutboxDatabase.Other,
    };
}
