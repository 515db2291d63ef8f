using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrderOutbox.Cli;

/// <summary>Where a command writes: results on standard output (a table, or JSON with <c>--json</c>), progress and errors on standard error.</summary>
internal sealed class CliOutput
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // output for terminals and scripts, never for HTML
    };

    public CliOutput(TextWriter output, TextWriter error, bool json)
    {
        Out = output;
        Error = error;
        IsJson = json;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool IsJson { get; }

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows) => Out.Write(TextTable.Render(headers, rows));

    public void Progress(string line) => Error.WriteLine(line);

    public static string Time(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";
}

/// <summary>Renders rows as a plain-text table with aligned columns (pure).</summary>
internal static class TextTable
{
    /// <summary>The widest a cell is shown; longer text ends with an ellipsis.</summary>
    public const int MaxCellWidth = 80;

    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        List<string[]> cells = rows.Select(row => headers.Select((_, i) => Clean(i < row.Count ? row[i] : null)).ToArray()).ToList();
        int[] widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        AppendRow(text, headers, widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (string[] row in cells)
        {
            AppendRow(text, row, widths);
        }

        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, IReadOnlyList<string> row, int[] widths)
    {
        for (int i = 0; i < widths.Length; i++)
        {
            string cell = i == widths.Length - 1 ? row[i] : row[i].PadRight(widths[i]);
            text.Append(cell);
            if (i < widths.Length - 1)
            {
                text.Append("  ");
            }
        }

        text.Append('\n');
    }

    /// <summary>One line per cell: control characters (newlines of an error body, escape sequences) become spaces.</summary>
    private static string Clean(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        var builder = new StringBuilder(Math.Min(value.Length, MaxCellWidth));
        foreach (char c in value)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
            if (builder.Length == MaxCellWidth)
            {
                builder[^1] = '…';
                break;
            }
        }

        return builder.ToString();
    }
}
