using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;
using OrderOutbox.EntityFrameworkCore.Tests.Support;
using OrderOutbox.PostgreSql;
using OrderOutbox.Storage;
using Xunit;

namespace OrderOutbox.EntityFrameworkCore.Tests;

/// <summary>
/// Bad input, missing set-up and the provider mappings, without a database server: the EF Core enqueue refuses exactly
/// what <c>IOutboxWriter</c> refuses (both go through <c>OutboxEntryFactory</c>), with the same exception, parameter and
/// message, and tracks nothing when it refuses.
/// </summary>
public sealed class DbContextOutboxTests
{
    public static TheoryData<string, string?, object?, string?> BadInput => new()
    {
        { "null payload", "order.completed", null, null },
        { "null message type", null, new OrderCompleted("o", "u", 1), null },
        { "empty message type", "", new OrderCompleted("o", "u", 1), null },
        { "blank message type", " \t", new OrderCompleted("o", "u", 1), null },
        { "message type of 201 characters", new string('t', 201), new OrderCompleted("o", "u", 1), null },
        { "message type with a control character", "order.\u0000completed", new OrderCompleted("o", "u", 1), null },
        { "aggregate ID of 451 characters", "order.completed", new OrderCompleted("o", "u", 1), new string('a', 451) },
        { "aggregate ID with a control character", "order.completed", new OrderCompleted("o", "u", 1), "o-\n1" },
        { "payload over MaxPayloadBytes", "order.completed", new string('x', 1_048_577), null },
        { "payload with a cycle", "order.completed", Cycle.Create(), null },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_is_refused_exactly_as_the_writer_refuses_it_and_nothing_is_tracked(string _, string? messageType, object? payload, string? aggregateId)
    {
        // The writer's answer, on a real (in-memory SQLite) transaction: it refuses before touching the database.
        await using ServiceProvider services = new ServiceCollection()
            .AddOrderOutbox(o => o.RunDispatcher = false)
            .UseSqlite("Data Source=:memory:")
            .Services.BuildServiceProvider();
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        IOutboxWriter writer = services.GetRequiredService<IOutboxWriter>();
        Exception expected = (await Record.ExceptionAsync(() => writer.EnqueueAsync(transaction, messageType!, payload, aggregateId, TestContext.Current.CancellationToken)))!;
        expected.Should().BeAssignableTo<ArgumentException>();

        using OrdersDb db = Context(new TestTables(null, "outbox_messages", "orders"));
        Exception actual = Record.Exception(() => db.Outbox().Enqueue(messageType!, payload, aggregateId))!;

        actual.Should().BeOfType(expected.GetType());
        actual.Message.Should().Be(expected.Message);
        ((ArgumentException)actual).ParamName.Should().Be(((ArgumentException)expected).ParamName);
        db.ChangeTracker.Entries().Should().BeEmpty();
    }

    [Fact]
    public void The_options_of_AddOrderOutbox_in_the_application_services_apply()
    {
        using ServiceProvider services = new ServiceCollection()
            .AddOrderOutbox(o =>
            {
                o.MaxPayloadBytes = 10;
                o.RunDispatcher = false;
            })
            .UseSqlite("Data Source=:memory:")
            .Services.BuildServiceProvider();
        using OrdersDb db = Context(new TestTables(null, "outbox_messages", "orders"), b => b.UseApplicationServiceProvider(services));

        Action enqueue = () => db.Outbox().Enqueue("order.completed", new OrderCompleted("o-1", "u", 1));

        enqueue.Should().Throw<ArgumentException>().WithMessage("*OutboxOptions.MaxPayloadBytes allows at most 10 bytes*");
    }

    [Fact]
    public void A_context_without_UseOrderOutbox_is_refused_naming_it()
    {
        var builder = new DbContextOptionsBuilder<OrdersDb>().UseSqlite("Data Source=:memory:");
        using var db = new OrdersDb(builder.Options, new TestTables(null, "outbox_messages", "orders"));

        Action enqueue = () => db.Outbox().Enqueue(new OrderCompleted("o-1", "u", 1));

        enqueue.Should().Throw<InvalidOperationException>().WithMessage("*call UseOrderOutbox() on its DbContextOptionsBuilder*");
    }

    [Fact]
    public void A_model_without_AddOrderOutbox_is_refused_naming_it()
    {
        using var db = new BareDb(new DbContextOptionsBuilder<BareDb>().UseSqlite("Data Source=:memory:").UseOrderOutbox().Options);

        Action enqueue = () => db.Outbox().Enqueue(new OrderCompleted("o-1", "u", 1));

        enqueue.Should().Throw<InvalidOperationException>().WithMessage("*call modelBuilder.AddOrderOutbox() in its OnModelCreating*");
    }

    [Theory]
    [InlineData("x; drop table y", null, "OutboxModelOptions.TableName = 'x; drop table y' is not a valid SQL identifier*")]
    [InlineData("outbox_messages", "sales\"", "OutboxModelOptions.Schema = 'sales\"' is not a valid SQL identifier*")]
    public void A_hostile_table_or_schema_name_is_refused_naming_the_option(string table, string? schema, string message)
    {
        using OrdersDb db = Context(new TestTables(schema, table, "orders"));

        Action build = () => _ = db.Model;

        build.Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Fact]
    public void A_hostile_channel_is_refused_naming_the_option()
    {
        Action configure = () => new DbContextOptionsBuilder().UseOrderOutbox(o => o.NotificationChannel = "x'); drop");

        configure.Should().Throw<ArgumentException>().WithMessage("OutboxDbContextOptions.NotificationChannel = 'x'); drop' is not a valid SQL identifier*");
    }

    [Theory]
    [InlineData(-1L, false)]
    [InlineData(0L, true)]
    [InlineData(50_000L, true)]
    [InlineData(10_000_000L, true)]
    [InlineData(10_000_001L, false)]
    public void NotificationCooldown_is_checked_naming_the_option_and_the_range(long ticks, bool valid)
    {
        var cooldown = TimeSpan.FromTicks(ticks);
        var builder = new DbContextOptionsBuilder().UseSqlite("Data Source=:memory:");

        Action configure = () => builder.UseOrderOutbox(o => o.NotificationCooldown = cooldown);

        if (valid)
        {
            configure();
            builder.Options.FindExtension<OrderOutboxOptionsExtension>()!.NotificationCooldown.Should().Be(cooldown);
        }
        else
        {
            configure.Should().Throw<ArgumentOutOfRangeException>().WithMessage($"OutboxDbContextOptions.NotificationCooldown = {cooldown} is out of range*00:00:01*");
        }
    }

    [Fact]
    public void The_default_cooldown_is_the_PostgreSQL_stores()
        => OutboxDbContextOptions.DefaultNotificationCooldown.Should().Be(PostgreSqlOutboxOptions.DefaultNotificationCooldown);

    [Fact]
    public void A_schema_on_SQLite_is_refused_naming_the_option()
    {
        using OrdersDb db = Context(new TestTables("sales", "outbox_messages", "orders"));

        Action build = () => _ = db.Model;

        build.Should().Throw<InvalidOperationException>().WithMessage("OutboxModelOptions.Schema = 'sales': SQLite has no schemas*");
    }

    [Fact]
    public void The_default_channel_is_the_PostgreSQL_stores()
        => OutboxDbContextOptions.DefaultNotificationChannel.Should().Be(PostgreSqlOutboxOptions.DefaultNotificationChannel);

    [Fact]
    public void The_default_table_is_the_stores_and_it_is_left_out_of_migrations()
    {
        using OrdersDb db = Context(new TestTables(null, OutboxStoreOptions.DefaultTableName, "orders"));

        var entity = db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(OutboxRecord))!;

        entity.GetTableName().Should().Be("outbox_messages");
        entity.IsTableExcludedFromMigrations().Should().BeTrue();
        entity.GetProperties().Select(p => p.GetColumnName()).Should().BeEquivalentTo(
            "id", "message_type", "aggregate_id", "payload", "headers", "status", "retry_count", "next_attempt_at", "created_at");
    }

    [Fact]
    public void Calling_UseOrderOutbox_twice_keeps_one_interceptor_and_the_last_settings()
    {
        var builder = new DbContextOptionsBuilder().UseSqlite("Data Source=:memory:");
        builder.UseOrderOutbox(o => o.NotificationChannel = "first").UseOrderOutbox(o => o.NotificationChannel = "second");

        builder.Options.FindExtension<CoreOptionsExtension>()!.Interceptors.Should().ContainSingle();
        builder.Options.FindExtension<OrderOutboxOptionsExtension>()!.NotificationChannel.Should().Be("second");
    }

    [Fact]
    public void On_SQLite_the_id_is_lower_case_text_and_times_are_utc_ticks_like_the_stores()
    {
        using OrdersDb db = Context(new TestTables(null, "outbox_messages", "orders"));
        IEntityType entity = DesignTime(db);

        var id = Guid.Parse("0196F3C2-1234-7ABC-8DEF-0123456789AB");
        entity.FindProperty("Id")!.GetValueConverter()!.ConvertToProvider(id).Should().Be("0196f3c2-1234-7abc-8def-0123456789ab");
        var time = new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.FromHours(1));
        entity.FindProperty("CreatedAt")!.GetValueConverter()!.ConvertToProvider(time).Should().Be(time.UtcTicks);
        entity.FindProperty("NextAttemptAt")!.GetValueConverter()!.ConvertToProvider(time).Should().Be(time.UtcTicks);
    }

    [Fact]
    public void On_SQL_Server_the_table_goes_to_dbo_with_the_scripts_column_sizes_whatever_the_models_default_schema()
    {
        using var db = new SchemaDb(new DbContextOptionsBuilder<SchemaDb>().UseSqlServer("Server=none").UseOrderOutbox().Options);
        IEntityType entity = DesignTime(db);

        entity.GetSchema().Should().Be("dbo");
        entity.FindProperty("MessageType")!.GetMaxLength().Should().Be(200);
        entity.FindProperty("AggregateId")!.GetMaxLength().Should().Be(450);
        entity.FindProperty("Status")!.IsUnicode().Should().BeFalse();
        entity.FindProperty("Status")!.GetMaxLength().Should().Be(16);
        entity.FindProperty("Id")!.GetValueConverter().Should().BeNull("uniqueidentifier is the store's type");
    }

#if NET10_0_OR_GREATER
    [Fact]
    public void On_PostgreSQL_the_table_goes_to_public_whatever_the_models_default_schema()
    {
        using var db = new SchemaDb(new DbContextOptionsBuilder<SchemaDb>().UseNpgsql("Host=none").UseOrderOutbox().Options);
        IEntityType entity = DesignTime(db);

        entity.GetSchema().Should().Be("public");
        db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(Order))!.GetSchema().Should().Be("sales");
        entity.FindProperty("CreatedAt")!.GetValueConverter().Should().BeNull("timestamptz is the store's type");
    }
#endif

    private static IEntityType DesignTime(DbContext db) => db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(OutboxRecord))!;

    private static OrdersDb Context(TestTables tables, Action<DbContextOptionsBuilder<OrdersDb>>? configure = null)
    {
        var builder = new DbContextOptionsBuilder<OrdersDb>().UseSqlite("Data Source=:memory:");
        builder.UseOrderOutbox().ReplaceService<IModelCacheKeyFactory, TablesModelCacheKeyFactory>();
        configure?.Invoke(builder);
        return new OrdersDb(builder.Options, tables);
    }

    private sealed class SchemaDb(DbContextOptions<SchemaDb> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.HasDefaultSchema("sales");
            modelBuilder.Entity<Order>();
            modelBuilder.AddOrderOutbox();
        }
    }

    private sealed class BareDb(DbContextOptions<BareDb> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<Order>();
    }

    private sealed class Cycle
    {
        public Cycle? Next { get; set; }

        public static Cycle Create()
        {
            var cycle = new Cycle();
            cycle.Next = cycle;
            return cycle;
        }
    }
}
