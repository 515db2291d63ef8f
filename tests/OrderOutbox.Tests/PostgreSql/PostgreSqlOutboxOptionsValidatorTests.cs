using FluentAssertions;
using Microsoft.Extensions.Options;
using Npgsql;
using OrderOutbox.PostgreSql;
using Xunit;

namespace OrderOutbox.Tests.PostgreSql;

/// <summary>The start-up validation of the PostgreSQL options added for the database work per message, and the owned data source's auto-prepare.</summary>
public sealed class PostgreSqlOutboxOptionsValidatorTests
{
    [Theory]
    [InlineData(int.MinValue, false)]
    [InlineData(0, false)]
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(50, true)]
    [InlineData(100, true)]
    [InlineData(101, false)]
    [InlineData(int.MaxValue, false)]
    public void FillFactor_is_validated_with_its_range(int fillFactor, bool valid)
    {
        var options = new PostgreSqlOutboxOptions { ConnectionString = "Host=x", FillFactor = fillFactor };

        ValidateOptionsResult result = new PostgreSqlOutboxOptionsValidator(requireConnectionString: true).Validate(null, options);

        result.Succeeded.Should().Be(valid);
        if (!valid)
        {
            result.FailureMessage.Should().Contain($"PostgreSqlOutboxOptions.FillFactor = {fillFactor}").And.Contain("between 10 and 100");
        }
    }

    [Fact]
    public void The_defaults_are_valid_and_as_documented()
    {
        var options = new PostgreSqlOutboxOptions { ConnectionString = "Host=x" };

        new PostgreSqlOutboxOptionsValidator(requireConnectionString: true).Validate(null, options).Succeeded.Should().BeTrue();
        options.FillFactor.Should().Be(PostgreSqlOutboxOptions.DefaultFillFactor).And.Be(50);
        options.AsynchronousBookkeepingCommit.Should().BeTrue();
    }

    [Theory]
    [InlineData("Host=h;Username=u", 32)]
    [InlineData("Host=h;Max Auto Prepare=0", 0)]
    [InlineData("Host=h;Max Auto Prepare=5", 5)]
    [InlineData("Host=h;MaxAutoPrepare=7", 7)]
    public void An_owned_data_source_prepares_automatically_unless_the_connection_string_says(string connectionString, int expected)
        => new NpgsqlConnectionStringBuilder(PostgreSqlOutboxDataSource.WithOwnedDefaults(connectionString)).MaxAutoPrepare.Should().Be(expected);
}
