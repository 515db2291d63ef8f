using System.Collections.Frozen;
using System.Reflection;

namespace OrderOutbox.Dashboard;

/// <summary>The page's static files, embedded in this assembly (no front-end build chain, nothing on disk).</summary>
internal static class DashboardAssets
{
    private static readonly FrozenDictionary<string, (string ContentType, byte[] Content)> s_assets = Load();

    public static bool TryGet(string name, out string contentType, out byte[] content)
    {
        if (s_assets.TryGetValue(name, out var asset))
        {
            (contentType, content) = asset;
            return true;
        }

        contentType = string.Empty;
        content = [];
        return false;
    }

    private static FrozenDictionary<string, (string, byte[])> Load()
    {
        const string prefix = "OrderOutbox.Dashboard.wwwroot.";
        Assembly assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            string name = resource[prefix.Length..];
            assets[name] = (ContentTypeOf(name), buffer.ToArray());
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
