using System.Text;
using System.Text.Json;

namespace OrderOutbox.Benchmarks.Infrastructure;

/// <summary>The order-completed payload of the seed (order ID, user ID, amount, product list): about 315 bytes of JSON.</summary>
internal sealed record OrderCompleted(Guid OrderId, string UserId, decimal Amount, string Currency, OrderLine[] Items, DateTimeOffset CompletedAt);

/// <summary>One product line of <see cref="OrderCompleted"/>.</summary>
internal sealed record OrderLine(string Sku, string Name, int Quantity, decimal UnitPrice);

/// <summary>Deterministic payloads, the same bodies for the outbox and for the raw HTTP baseline.</summary>
internal static class Payloads
{
    public const string MessageType = "order.completed";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static OrderCompleted Create(int i)
    {
        var rnd = new Random(i);
        var items = new OrderLine[2];
        for (var k = 0; k < items.Length; k++)
        {
            items[k] = new OrderLine($"SKU-{rnd.Next(10000, 99999)}", k == 0 ? "Espresso beans, 1 kg bag" : "Ceramic mug", rnd.Next(1, 5), Math.Round((decimal)(rnd.NextDouble() * 90 + 5), 2));
        }

        var amount = items.Sum(x => x.UnitPrice * x.Quantity);
        var orderId = new Guid(i, 0x4b1d, 0x4c2e, 0x9a, 0x55, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60);
        return new OrderCompleted(orderId, $"user-{rnd.Next(100000, 999999)}", amount, "EUR", items, new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero).AddSeconds(i));
    }

    public static string Json(int i) => JsonSerializer.Serialize(Create(i), Web);

    public static byte[][] Bodies(int count)
    {
        var bodies = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            bodies[i] = Encoding.UTF8.GetBytes(Json(i));
        }

        return bodies;
    }
}
