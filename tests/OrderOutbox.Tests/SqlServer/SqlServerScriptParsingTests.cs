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

    [Theory]
    [InlineData(nameof(SqlServerOutboxSql.Claim), "IX_outbox_messages_due", "status IN ('PENDING', 'FAILED')", "next_attempt_at")]
    [InlineData(nameof(SqlServerOutboxSql.ClaimPerAggregate), "IX_outbox_messages_due", "status IN ('PENDING', 'FAILED')", "next_attempt_at")]
    [InlineData(nameof(SqlServerOutboxSql.PurgeSent), "IX_outbox_messages_sent", "status = 'SENT'", "sent_at")]
    public void Claim_and_purge_read_past_locked_rows_through_their_filtered_index(string statement, string index, string filter, string key)
    {
        var sql = CreateSql("dbo", "outbox_messages");
        string text = (string)typeof(SqlServerOutboxSql).GetProperty(statement)!.GetValue(sql)!;
        TableVisitor schema = Visit(sql.Schema);

        Visit(text).Hints.Should().Contain(
            [TableHintKind.ReadPast, TableHintKind.Rowlock, TableHintKind.ReadCommittedLock],
            "READPAST skips rows other sessions hold, and only does so under read-committed snapshot when the read takes locks");
        schema.IndexFilters.Should().ContainKey(index).WhoseValue.Should().Be(filter);
        schema.IndexColumns[index].Should().Equal(key);
        text.Should().Contain("WHERE " + filter, "a filtered index is matched only by the same literal predicate, never a parameter")
            .And.Contain("ORDER BY " + key);
    }

    [Fact]
    public void The_claim_takes_update_locks_the_purge_is_bounded_and_dead_letters_have_their_own_index()
    {
        var sql = CreateSql("dbo", "outbox_messages");

        Visit(sql.Claim).Hints.Should().Contain(TableHintKind.UpdLock);
        sql.PurgeSent.Should().Contain("SELECT TOP (@batch_size) seq").And.Contain("AND sent_at < @sent_before");
        Visit(sql.Schema).IndexFilters.Should().ContainKey("IX_outbox_messages_dead_letter").WhoseValue.Should().Be("status = 'DEAD_LETTER'");
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
        TableVisitor visitor = Visit(sql);

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
        TableVisitor visitor = Visit(sql.Schema);

        visitor.CreatedTables.Should().Equal("outbox_messages");
        visitor.IndexFilters.Keys.Should().BeEquivalentTo(["IX_outbox_messages_due", "IX_outbox_messages_dead_letter", "IX_outbox_messages_sent", "IX_outbox_messages_aggregate"]);
        visitor.Procedures.Should().Contain("sp_getapplock");
        sql.Schema.Should().Contain("IF OBJECT_ID(N'[dbo].[outbox_messages]', N'U') IS NULL");
        sql.Claim.Should().Contain("TOP (@batch_size)").And.Contain("@now").And.Contain("@lease_owner").And.Contain("@lease_until");
        sql.Complete.Should().Contain("OPENJSON(@outcomes)").And.Contain("OUTPUT inserted.id").And.Contain("t.locked_by = o.lease_owner");
        sql.Release.Should().Contain("OPENJSON(@leases)").And.Contain("t.locked_by = r.lease_owner");
    }

    [Fact]
    public void Lease_tokens_are_compared_with_a_binary_collation_in_every_fence_and_in_the_column()
    {
        var sql = CreateSql("dbo", "outbox_messages");
        TableVisitor schema = Visit(sql.Schema);

        schema.ColumnCollations.Should().ContainKey("locked_by").WhoseValue.Should().Be("Latin1_General_BIN2", "new tables compare lease tokens exactly");
        schema.AlteredColumnCollations.Should().ContainKey("locked_by").WhoseValue.Should().Be("Latin1_General_BIN2", "EnsureSchemaAsync converts existing tables");
        foreach ((string name, string text) in new[] { ("Complete", sql.Complete), ("Release", sql.Release) })
        {
            TableVisitor visitor = Visit(text);
            visitor.LockedByComparisons.Should().NotBeEmpty(name + " compares locked_by")
                .And.OnlyContain(c => c == "Latin1_General_BIN2", name + " must compare lease tokens exactly whatever the database collation");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(30)]
    [InlineData(3600)]
    public void The_schema_lock_gives_up_before_the_command_timeout_so_its_own_message_can_appear(int commandTimeoutSeconds)
    {
        var store = new SqlServerOutboxStore(new SqlServerOutboxOptions
        {
            ConnectionString = "Server=127.0.0.1;Database=unused",
            CommandTimeout = TimeSpan.FromSeconds(commandTimeoutSeconds),
        });
        TableVisitor visitor = Visit(store.Sql.Schema);

        ScalarExpression lockTimeout = visitor.AppLockTimeouts.Should().ContainSingle().Subject;
        long effective = lockTimeout is IntegerLiteral literal
            ? long.Parse(literal.Value, System.Globalization.CultureInfo.InvariantCulture)
            : visitor.SessionLockTimeouts.Should().ContainSingle("a variable lock timeout comes from SET LOCK_TIMEOUT").Subject;

        effective.Should().BePositive().And.BeLessThan(commandTimeoutSeconds * 1000L);
    }

    [Theory]
    [InlineData(1, 800)]
    [InlineData(5, 4_000)]
    [InlineData(30, 24_000)]
    [InlineData(3_600, 2_880_000)]
    public void The_schema_lock_timeout_is_four_fifths_of_the_command_timeout(int commandTimeoutSeconds, int expectedMilliseconds)
    {
        TimeSpan lockTimeout = SqlServerOutboxSql.SchemaLockTimeout(TimeSpan.FromSeconds(commandTimeoutSeconds));

        lockTimeout.Should().Be(TimeSpan.FromMilliseconds(expectedMilliseconds));
        new SqlServerOutboxStore(new SqlServerOutboxOptions { ConnectionString = "Server=127.0.0.1;Database=unused", CommandTimeout = TimeSpan.FromSeconds(commandTimeoutSeconds) })
            .Sql.Schema.Should().StartWith($"SET LOCK_TIMEOUT {expectedMilliseconds};");
    }

    private static SqlServerOutboxSql CreateSql(string schema, string table)
        => new SqlServerOutboxStore(
            new SqlServerOutboxOptions { ConnectionString = "Server=127.0.0.1;Database=unused", Schema = schema, TableName = table }).Sql;

    private static TableVisitor Visit(string sql)
    {
        var visitor = new TableVisitor();
        Parse(sql, out _).Accept(visitor);
        return visitor;
    }

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

        public Dictionary<string, string[]> IndexColumns { get; } = [];

        public Dictionary<string, string?> ColumnCollations { get; } = [];

        public Dictionary<string, string?> AlteredColumnCollations { get; } = [];

        /// <summary>The collation written on each comparison with <c>locked_by</c> (the empty string when none).</summary>
        public List<string> LockedByComparisons { get; } = [];

        public List<ScalarExpression> AppLockTimeouts { get; } = [];

        public List<long> SessionLockTimeouts { get; } = [];

        public override void Visit(ColumnDefinition node) => ColumnCollations[node.ColumnIdentifier.Value] = node.Collation?.Value;

        public override void Visit(AlterTableAlterColumnStatement node) => AlteredColumnCollations[node.ColumnIdentifier.Value] = node.Collation?.Value;

        public override void Visit(BooleanComparisonExpression node)
        {
            if (IsLockedBy(node.FirstExpression) || IsLockedBy(node.SecondExpression))
            {
                string? collation = (node.FirstExpression as PrimaryExpression)?.Collation?.Value ?? (node.SecondExpression as PrimaryExpression)?.Collation?.Value;
                LockedByComparisons.Add(collation ?? string.Empty);
            }
        }

        public override void Visit(ExecuteStatement node)
        {
            if (node.ExecuteSpecification?.ExecutableEntity is ExecutableProcedureReference { ProcedureReference.ProcedureReference.Name.BaseIdentifier.Value: "sp_getapplock" } procedure)
            {
                AppLockTimeouts.AddRange(procedure.Parameters
                    .Where(p => string.Equals(p.Variable?.Name, "@LockTimeout", StringComparison.OrdinalIgnoreCase))
                    .Select(p => p.ParameterValue));
            }
        }

        public override void Visit(SetCommandStatement node)
        {
            foreach (GeneralSetCommand command in node.Commands.OfType<GeneralSetCommand>().Where(c => c.CommandType == GeneralSetCommandType.LockTimeout))
            {
                SessionLockTimeouts.Add(long.Parse(((Literal)command.Parameter).Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

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
            IndexColumns[node.Name.Value] = node.Columns.Select(c => c.Column.MultiPartIdentifier.Identifiers[^1].Value).ToArray();
        }

        public override void Visit(ExecutableProcedureReference node)
            => Procedures.Add(node.ProcedureReference?.ProcedureReference?.Name?.BaseIdentifier?.Value ?? string.Empty);

        private static bool IsLockedBy(ScalarExpression expression)
            => expression is ColumnReferenceExpression { MultiPartIdentifier.Identifiers: [.., { Value: "locked_by" }] };

        private static string Text(TSqlFragment? fragment)
            => fragment is null
                ? string.Empty
                : string.Concat(Enumerable.Range(fragment.FirstTokenIndex, fragment.LastTokenIndex - fragment.FirstTokenIndex + 1)
                    .Select(i => fragment.ScriptTokenStream[i].Text));
    }
}
