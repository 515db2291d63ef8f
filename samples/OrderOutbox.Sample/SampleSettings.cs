using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace OrderOutbox.Sample;

/// <summary>The database the sample runs against (<c>Sample:Store</c>).</summary>
internal enum StoreKind
{
    Sqlite,
    PostgreSql,
    SqlServer,
}

/// <summary>The sample's own settings, read from configuration (command line, environment, appsettings.json).</summary>
/// <param name="Store"><c>Sample:Store</c>.</param>
/// <param name="ConnectionString"><c>ConnectionStrings:Outbox</c>, or <see langword="null"/> for a temporary SQLite file.</param>
/// <param name="Orders"><c>Sample:Orders</c>: how many orders to complete.</param>
/// <param name="ExitWhenDrained"><c>Sample:ExitWhenDrained</c>: stop once nothing is PENDING or FAILED.</param>
/// <param name="ExternalEndpoint"><c>OrderOutbox:Http:Endpoint</c>: a real receiver, or <see langword="null"/> for the built-in fake platform.</param>
/// <param name="Seed"><c>Sample:Seed</c>: the seed of the fake platform's failure plan.</param>
internal sealed record SampleSettings(
    StoreKind Store,
    string? ConnectionString,
    int Orders,
    bool ExitWhenDrained,
    Uri? ExternalEndpoint,
    int Seed)
{
    public const int MaxOrders = 100_000;

    /// <summary>Reads and checks the settings; a bad value is a <see cref="SampleException"/> that names the key.</summary>
    public static SampleSettings Load(IConfiguration configuration)
    {
        var store = ParseStore(configuration["Sample:Store"]);

        var connectionString = configuration.GetConnectionString("Outbox");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (store != StoreKind.Sqlite)
            {
                throw SampleException.Configuration(
                    $"Sample:Store={store} needs a connection string: set ConnectionStrings:Outbox " +
                    "(for example --ConnectionStrings:Outbox \"Host=127.0.0.1;Username=...;Password=...;Database=...\").");
            }

            connectionString = null;
        }

        int orders = ParseInt(configuration, "Sample:Orders", 50, 1, MaxOrders);
        bool exitWhenDrained = ParseBool(configuration, "Sample:ExitWhenDrained", true);
        int seed = ParseInt(configuration, "Sample:Seed", 7, int.MinValue, int.MaxValue);

        Uri? endpoint = null;
        var endpointText = configuration["OrderOutbox:Http:Endpoint"];
        if (!string.IsNullOrWhiteSpace(endpointText))
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint)
                || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                throw SampleException.Configuration(
                    $"OrderOutbox:Http:Endpoint = '{endpointText}' is not an absolute http or https URI.");
            }
        }

        return new SampleSettings(store, connectionString, orders, exitWhenDrained, endpoint, seed);
    }

    private static StoreKind ParseStore(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return StoreKind.Sqlite;
        }

        foreach (var kind in Enum.GetValues<StoreKind>())
        {
            if (string.Equals(kind.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        throw SampleException.Configuration(
            $"Sample:Store = '{text}' is not a known store; use Sqlite, PostgreSql or SqlServer.");
    }

    private static int ParseInt(IConfiguration configuration, string key, int defaultValue, int min, int max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw SampleException.Configuration($"{key} = '{text}' is not a whole number from {min} to {max}.");
        }

        return value;
    }

    private static bool ParseBool(IConfiguration configuration, string key, bool defaultValue)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return defaultValue;
        }

        if (!bool.TryParse(text, out bool value))
        {
            throw SampleException.Configuration($"{key} = '{text}' is not true or false.");
        }

        return value;
    }
}

/// <summary>A failure the sample reports as one line on standard error, with its exit code, and no stack trace.</summary>
internal sealed class SampleException : Exception
{
    /// <summary>Exit code of a configuration error (unknown store, missing connection string, invalid option).</summary>
    public const int ConfigurationExitCode = 2;

    /// <summary>Exit code when the database cannot be reached or set up.</summary>
    public const int DatabaseExitCode = 3;

    public SampleException()
    {
    }

    public SampleException(string message)
        : base(message)
    {
    }

    public SampleException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    private SampleException(string message, int exitCode, Exception? innerException)
        : base(message, innerException)
        => ExitCode = exitCode;

    public int ExitCode { get; } = 1;

    public static SampleException Configuration(string message, Exception? innerException = null)
        => new(message, ConfigurationExitCode, innerException);

    public static SampleException Database(string message, Exception? innerException = null)
        => new(message, DatabaseExitCode, innerException);

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the database cannot be reached or used.</summary>
    public static bool IsDatabaseFailure(Exception exception)
    {
        if (exception is SampleException)
        {
            return false;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException or TimeoutException or IOException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The exception's message and, when it adds something, its innermost cause's, on one line.</summary>
    public static string OneLine(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        var text = ReferenceEquals(inner, exception) || exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? exception.Message
            : $"{exception.Message} ({inner.Message})";
        return text.ReplaceLineEndings(" ").Trim();
    }
}
