using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using FluentAssertions;
using OrderOutbox.PostgreSql;
using OrderOutbox.Sqlite;
using OrderOutbox.SqlServer;
using Xunit;

namespace OrderOutbox.Tests.Storage;

/// <summary>
/// One shape for the three stores: every statement lives as a <c>const</c> template in the store's <c>XxxOutboxSql</c>,
/// its <c>All</c> list holds every template expanded (no placeholder left), and the store type itself holds no SQL text.
/// </summary>
public sealed partial class StoreSqlLayoutTests
{
    public static TheoryData<string> Stores => ["PostgreSql", "SqlServer", "Sqlite"];

    [Theory]
    [MemberData(nameof(Stores))]
    public void All_lists_every_template_of_the_store(string store)
    {
        (Type sqlType, IReadOnlyList<KeyValuePair<string, string>> all, _) = Describe(store);
        string[] templates = sqlType.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && (f.Name.EndsWith("Template", StringComparison.Ordinal) || f.Name == "SchemaResourceName"))
            .Select(f => f.Name)
            .ToArray();
        HashSet<string> listed = [.. all.Select(kv => kv.Key.Split('+')[0])];

        templates.Should().NotBeEmpty();
        templates.Should().OnlyContain(t => listed.Contains(t), "every template of {0} is listed in All (so the parsing and plan tests see it)", sqlType.Name);
        listed.Should().OnlyContain(k => templates.Contains(k), "All names only templates that exist");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public void Every_statement_in_All_is_expanded(string store)
    {
        (_, IReadOnlyList<KeyValuePair<string, string>> all, string placeholder) = Describe(store);

        all.Should().OnlyContain(kv => kv.Value.Length > 0 && !kv.Value.Contains(placeholder, StringComparison.Ordinal),
            "every placeholder ({0}) is replaced when the statements are built", placeholder);
    }

    [Theory]
    [InlineData(typeof(PostgreSqlOutboxStore))]
    [InlineData(typeof(SqlServerOutboxStore))]
    [InlineData(typeof(SqliteOutboxStore))]
    public void The_store_type_holds_no_sql_text(Type storeType)
    {
        string[] sql = StringLiterals(storeType).Where(s => SqlKeyword().IsMatch(s)).ToArray();

        sql.Should().BeEmpty("{0}'s SQL lives in its XxxOutboxSql templates", storeType.Name);
    }

    [Fact]
    public void The_literal_scan_finds_sql_where_there_is_some()
    {
        // The check above can fail: the SQL classes' constructors load their templates as string literals.
        StringLiterals(typeof(PostgreSqlOutboxSql)).Should().Contain(s => SqlKeyword().IsMatch(s));
        StringLiterals(typeof(SqliteOutboxSql)).Should().Contain(s => SqlKeyword().IsMatch(s));
    }

    private static (Type SqlType, IReadOnlyList<KeyValuePair<string, string>> All, string Placeholder) Describe(string store) => store switch
    {
        "PostgreSql" => (typeof(PostgreSqlOutboxSql),
            new PostgreSqlOutboxSql("s", "t", new PostgreSqlOutboxIndexNames("t_due", "t_dead", "t_sent", "t_agg"), 90).All, "{{"),
        "SqlServer" => (typeof(SqlServerOutboxSql), new SqlServerOutboxSql("s", "t", TimeSpan.FromSeconds(30)).All, "$(Outbox"),
        "Sqlite" => (typeof(SqliteOutboxSql), new SqliteOutboxSql("t").All, "$(Outbox"),
        _ => throw new ArgumentOutOfRangeException(nameof(store)),
    };

    /// <summary>
    /// Every string the type's code loads (<c>ldstr</c>), its nested types included (async state machines, lambdas), and
    /// its string constants.
    /// </summary>
    private static List<string> StringLiterals(Type type)
    {
        var found = new List<string>();
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (Type t in new[] { type }.Concat(NestedTypes(type)))
        {
            found.AddRange(t.GetFields(all).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!));
            IEnumerable<MethodBase> methods = t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all));
            foreach (MethodBase method in methods)
            {
                byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
                if (il is null)
                {
                    continue;
                }

                for (int i = 0; i + 4 < il.Length; i++)
                {
                    // ldstr <token>: a string token has table 0x70 in its top byte.
                    if (il[i] == OpCodes.Ldstr.Value && il[i + 4] == 0x70)
                    {
                        try
                        {
                            found.Add(method.Module.ResolveString(BitConverter.ToInt32(il, i + 1)));
                        }
                        catch (ArgumentException)
                        {
                            // Not an instruction boundary: an operand byte that looked like ldstr.
                        }
                    }
                }
            }
        }

        return found;
    }

    private static IEnumerable<Type> NestedTypes(Type type)
    {
        foreach (Type nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
        {
            yield return nested;
            foreach (Type deeper in NestedTypes(nested))
            {
                yield return deeper;
            }
        }
    }

    [GeneratedRegex(@"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|MERGE|PRAGMA)\b")]
    private static partial Regex SqlKeyword();
}
