using System.Reflection;
using FluentAssertions;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.SqlServer;

/// <summary>
/// SQL Server cannot run on this machine, so every T-SQL statement the store ships — the schema script after
/// placeholder substitution and every statement it executes — is parsed with Microsoft's own T-SQL parser
/// (ScriptDom, SQL Server 2022 grammar). This proves the syntax, not the behaviour: the conformance suites prove the
/// behaviour when <c>ORDEROUTBOX_TEST_SQLSERVER</c> points at a server.
/// </summary>
public sealed class SqlServerScriptParsingTests
{
    private const string LongTable = "t123456789_123456789_123456789_123456789_123456789_123456789_12";

    public static TheoryData<string, string, string> Statements()
    {
        var data = new TheoryData<string, string, string>();
        foreach ((string schema, string table) in new[] { ("dbo", "outbox_messages"), ("ops", LongTable) })
        {
            foreach (KeyValuePair<string, string> statement in CreateSql(schema, table).All)
            {
                data.Add(schema + "." + table, statement.Key, statement.Value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void Every_statement_parses_without_errors(string target, string name, string sql)
    {
        _ = target;
        TSqlFragment fragment = Parse(sql, out IList<ParseError> errors);

        errors.Select(e => $"{name}: line {e.Line}, column {e.Column}: {e.Message}").Should().BeEmpty();
        fragment.Should().BeOfType<TSqlScript>().Which.Batches.Should().ContainSingle(
            "each statement list is sent as one batch (no GO separators)");
        sql.Should().NotContain("$(", "every placeholder is substituted");
    }

    [Fact]
    public void The_parser_is_not_vacuous_it_reports_broken_TSQL()
    {
        Parse("UPDATE [dbo].[outbox_messages] SET WHERE id = @id;", out IList<ParseError> errors);
        Parse("SELECT TOP (@n) * FROM [dbo].[t] WITH (UPDLOCK, READPAST ORDER BY x;", out IList<ParseError> moreErrors);

        errors.Should().NotBeEmpty();
        moreErrors.Should().NotBeEmpty();
    }

    [Fact]
    public void The_statement_list_covers_every_template_and_every_property()
    {
        var sql = CreateSql("dbo", "outbox_messages");
        string[] templates = typeof(SqlServerOutboxSql)
            .GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string)
                        && (f.Name.EndsWith("Template", StringComparison.Ordinal) || f.Name == nameof(SqlServerOutboxSql.SchemaResourceName)))
            .Select(f => f.Name)
            .ToArray();
        string[] properties = typeof(SqlServerOutboxSql)
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string))
            .Select(p => (string)p.GetValue(sql)!)
            .ToArray();

        templates.Should().HaveCountGreaterThan(10);
        sql.All.Select(s => s.Key).Should().BeEquivalentTo(templates);
        sql.All.Select(s => s.Value).Should().BeEquivalentTo(properties);
    }

    [Fact]
    public void The_store_keeps_no_SQL_of_its_own()
    {
        typeof(SqlServerOutboxStore)
            .GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
            .Where(f => f.FieldType == typeof(string) && (f.IsLiteral || f.IsStatic))
            .Should().BeEmpty("every statement the store runs comes from SqlServerOutboxSql, so the parsing test sees it");
    }

    [Fact]
    public void The_claim_reads_with_updlock_readpast_rowlock_and_repeats_the_filtered_index_predicate()
    {
        var sql = CreateSql("dbo", "outbox_messages");
        var claimTables = new TableVisitor();
        Parse(sql.Claim, out _).Accept(claimTables);
        var schemaIndexes = new TableVisitor();
        Parse(sql.Schema, out _).Accept(schemaIndexes);

        claimTables.Hints.Should().Contain([TableHintKind.UpdLock, TableHintKind.ReadPast, TableHintKind.Rowlock]);
        string filter = schemaIndexes.IndexFilters.Should().ContainKey("IX_outbox_messages_due").WhoseValue;
        filter.Should().Be("status IN ('PENDING', 'FAILED')");
        sql.Claim.Should().Contain("WHERE " + filter, "a filtered index is matched only by the same literal predicate, never a parameter");
        schemaIndexes.IndexFilters.Should().ContainKey("IX_outbox_messages_dead_letter").WhoseValue.Should().Be("status = 'DEAD_LETTER'");
        sql.ListFilteredDeadLetters.Should().Contain("status = 'DEAD_LETTER'");
        sql.Replay.Should().Contain("status = 'DEAD_LETTER'");
        sql.CountDeadLetters.Should().Contain("status = 'DEAD_LETTER'");
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void The_outbox_table_is_always_schema_qualified_and_bracket_quoted(string target, string name, string sql)
    {
        string schema = target[..target.IndexOf('.', StringComparison.Ordinal)];
        string table = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var visitor = new TableVisitor();
        Parse(sql, out _).Accept(visitor);

        visitor.Tables.Where(t => t.BaseIdentifier.Value == table).Should().NotBeEmpty(name + " addresses the outbox table")
            .And.OnlyContain(t => t.BaseIdentifier.QuoteType == QuoteType.SquareBracket
                                  && t.SchemaIdentifier != null
                                  && t.SchemaIdentifier.Value == schema
                                  && t.SchemaIdentifier.QuoteType == QuoteType.SquareBracket);
    }

    [Fact]
    public void Every_value_is_a_parameter_and_the_schema_script_creates_table_and_indexes_idempotently()
    {
        var sql = CreateSql("dbo", "outbox_messages");
        var visitor = new TableVisitor();
        Parse(sql.Schema, out _).Accept(visitor);

        visitor.CreatedTables.Should().Equal("outbox_messages");
        visitor.IndexFilters.Keys.Should().BeEquivalentTo(["IX_outbox_messages_due", "IX_outbox_messages_dead_letter"]);
        visitor.Procedures.Should().Contain("sp_getapplock");
        sql.Schema.Should().Contain("IF OBJECT_ID(N'[dbo].[outbox_messages]', N'U') IS NULL");
        sql.Claim.Should().Contain("TOP (@batch_size)").And.Contain("@now").And.Contain("@lease_owner").And.Contain("@lease_until");
        sql.Complete.Should().Contain("OPENJSON(@outcomes)").And.Contain("OUTPUT inserted.id").And.Contain("t.locked_by = o.lease_owner");
        sql.Release.Should().Contain("OPENJSON(@leases)").And.Contain("t.locked_by = r.lease_owner");
    }

    private static SqlServerOutboxSql CreateSql(string schema, string table)
        => new SqlServerOutboxStore(
            new SqlServerOutboxOptions { ConnectionString = "Server=127.0.0.1;Database=unused", Schema = schema, TableName = table }).Sql;

    private static TSqlFragment Parse(string sql, out IList<ParseError> errors)
    {
        var parser = new TSql160Parser(initialQuotedIdentifiers: true);
        using var reader = new StringReader(sql);
        return parser.Parse(reader, out errors);
    }

    private sealed class TableVisitor : TSqlFragmentVisitor
    {
        public List<SchemaObjectName> Tables { get; } = [];

        public List<TableHintKind> Hints { get; } = [];

        public List<string> CreatedTables { get; } = [];

        public List<string> Procedures { get; } = [];

        public Dictionary<string, string> IndexFilters { get; } = [];

        public override void Visit(NamedTableReference node)
        {
            Tables.Add(node.SchemaObject);
            Hints.AddRange(node.TableHints.Select(h => h.HintKind));
        }

        public override void Visit(CreateTableStatement node)
        {
            Tables.Add(node.SchemaObjectName);
            CreatedTables.Add(node.SchemaObjectName.BaseIdentifier.Value);
        }

        public override void Visit(CreateIndexStatement node)
        {
            Tables.Add(node.OnName);
            IndexFilters[node.Name.Value] = Text(node.FilterPredicate);
        }

        public override void Visit(ExecutableProcedureReference node)
            => Procedures.Add(node.ProcedureReference?.ProcedureReference?.Name?.BaseIdentifier?.Value ?? string.Empty);

        private static string Text(TSqlFragment? fragment)
            => fragment is null
                ? string.Empty
                : string.Concat(Enumerable.Range(fragment.FirstTokenIndex, fragment.LastTokenIndex - fragment.FirstTokenIndex + 1)
                    .Select(i => fragment.ScriptTokenStream[i].Text));
    }
}
