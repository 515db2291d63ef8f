using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using Microsoft.SqlServer.Dac;
using Microsoft.SqlServer.Dac.Model;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.SqlServer;

/// <summary>
/// Deeper than a parse: every statement the SQL Server store runs is compiled against a model of the schema the store
/// ships, with Microsoft's DacFx (the engine behind SSDT and <c>SqlPackage</c>). The model is built from the table and
/// index definitions of the schema script; each statement is wrapped as a stored procedure whose parameters are the
/// statement's <c>@names</c>, and DacFx reports every column, table or type the statement names that the schema does
/// not have (errors, and the warnings DacFx gives for names SQL Server would resolve only at run time). This proves the names; the conformance suites prove the behaviour when a server is supplied.
/// </summary>
public sealed partial class SqlServerModelValidationTests
{
    /// <summary>Parameter types where the statement needs one (the rest are <c>nvarchar(max)</c>, as the store sends strings).</summary>
    private static readonly Dictionary<string, string> ParameterTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["batch_size"] = "int",
        ["limit"] = "int",
        ["batch"] = "int",
        ["id"] = "uniqueidentifier",
        ["after"] = "uniqueidentifier",
        ["retry_count"] = "int",
    };

    public static TheoryData<string> StatementNames()
    {
        var data = new TheoryData<string>();
        foreach (KeyValuePair<string, string> statement in CreateSql().All)
        {
            if (statement.Key != nameof(SqlServerOutboxSql.SchemaResourceName))
            {
                data.Add(statement.Key);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(StatementNames))]
    public void Every_statement_resolves_against_the_shipped_schema(string name)
    {
        SqlServerOutboxSql sql = CreateSql();
        string statement = sql.All.Single(s => s.Key == name).Value;

        List<string> problems = Validate(sql.Schema, (name, statement));

        problems.Should().BeEmpty($"{name} must name only columns, tables and types of the schema script:{Environment.NewLine}{statement}");
    }

    [Fact]
    public void The_model_is_not_vacuous_it_reports_an_unknown_column_and_an_unknown_table()
    {
        SqlServerOutboxSql sql = CreateSql();

        List<string> problems = Validate(
            sql.Schema,
            ("misspelt_column", "UPDATE [dbo].[outbox_messages] SET retry_cuont = 1 WHERE id = @id;"),
            ("unknown_table", "SELECT id FROM [dbo].[outbox_message] WHERE id = @id;"));

        problems.Should().Contain(p => p.Contains("misspelt_column", StringComparison.Ordinal) && p.Contains("retry_cuont", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("unknown_table", StringComparison.Ordinal) && p.Contains("outbox_message]", StringComparison.Ordinal));
    }

    [Fact]
    public void The_model_holds_the_table_and_every_index_of_the_schema_script()
    {
        using TSqlModel model = BuildModel(CreateSql().Schema);

        model.GetObjects(DacQueryScopes.UserDefined, ModelSchema.Table).Select(t => t.Name.ToString())
            .Should().Equal("[dbo].[outbox_messages]");
        model.GetObjects(DacQueryScopes.UserDefined, ModelSchema.Index).Select(i => i.Name.Parts[^1])
            .Should().Contain(["IX_outbox_messages_due", "IX_outbox_messages_dead_letter", "IX_outbox_messages_sent", "IX_outbox_messages_aggregate"]);
    }

    private static SqlServerOutboxSql CreateSql()
        => new SqlServerOutboxStore(
            new SqlServerOutboxOptions { ConnectionString = "Server=127.0.0.1;Database=unused", Schema = "dbo", TableName = "outbox_messages" }).Sql;

    private static List<string> Validate(string schemaScript, params (string Name, string Sql)[] statements)
    {
        using TSqlModel model = BuildModel(schemaScript);
        foreach ((string name, string statement) in statements)
        {
            model.AddObjects(WrapAsProcedure(name, statement));
        }

        // The model has no reference to master.dacpac, so catalog views (the statistics read sys.partitions for the SENT
        // estimate) cannot resolve; only unresolved references whose candidates include a [sys] object are let through.
        return model.Validate()
            .Where(m => m.MessageType is DacMessageType.Error or DacMessageType.Warning)
            .Where(m => !(m.Number == 71502 && m.Message.Contains("[sys].", StringComparison.Ordinal)))
            .Select(m => $"SQL{m.Number} {m.MessageType}: {m.Message}")
            .ToList();
    }

    /// <summary>
    /// The schema script is a guarded, transactional batch (IF OBJECT_ID … CREATE TABLE, sp_getapplock): DacFx models
    /// declarations, so the script's CREATE SCHEMA, CREATE TABLE and CREATE INDEX statements are taken out of it with
    /// ScriptDom and added one by one — the model is exactly what the script creates.
    /// </summary>
    private static TSqlModel BuildModel(string schemaScript)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(schemaScript);
        TSqlFragment script = parser.Parse(reader, out IList<ParseError> errors);
        errors.Should().BeEmpty();

        var collector = new DeclarationCollector();
        script.Accept(collector);
        collector.Declarations.Should().NotBeEmpty();

        var model = new TSqlModel(SqlServerVersion.Sql160, new TSqlModelOptions());
        var generator = new Sql160ScriptGenerator();
        foreach (TSqlStatement declaration in collector.Declarations)
        {
            generator.GenerateScript(declaration, out string text);
            model.AddObjects(text);
        }

        return model;
    }

    private static string WrapAsProcedure(string name, string statement)
    {
        var declared = DeclarationPattern().Matches(statement).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var parameters = ParameterPattern().Matches(statement).Select(m => m.Groups[1].Value)
            .Where(p => !declared.Contains(p))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(p => $"@{p} {ParameterTypes.GetValueOrDefault(p, "nvarchar(max)")}");
        var text = new StringBuilder();
        text.Append("CREATE PROCEDURE [dbo].[").Append(name).Append(']').AppendLine();
        text.AppendLine(string.Join("," + Environment.NewLine, parameters));
        text.AppendLine("AS").AppendLine("BEGIN").AppendLine(statement).AppendLine("END");
        return text.ToString();
    }

    [GeneratedRegex(@"(?<![@\w])@(\w+)")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"\bDECLARE\s+@(\w+)", RegexOptions.IgnoreCase)]
    private static partial Regex DeclarationPattern();

    private sealed class DeclarationCollector : TSqlFragmentVisitor
    {
        public List<TSqlStatement> Declarations { get; } = [];

        public override void ExplicitVisit(CreateTableStatement node) => Declarations.Add(node);

        public override void ExplicitVisit(CreateIndexStatement node) => Declarations.Add(node);
    }
}
