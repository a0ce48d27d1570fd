using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace CryptoPipeline.Api;

/// <summary>The columns of a CSV export: a header and how to get the cell from a row.</summary>
internal sealed class CsvColumns<T>(params (string Header, Func<T, object?> Cell)[] columns)
{
    public IReadOnlyList<(string Header, Func<T, object?> Cell)> Columns { get; } = columns;
}

/// <summary>
/// A list as a CSV download for spreadsheets: UTF-8 with a byte-order mark (Excel reads the encoding from it),
/// CRLF rows (RFC 4180), invariant numbers with every digit the data has, UTC times in ISO 8601, and a file name
/// that says what was exported and when (<c>candles_binance_BTCUSDT_1m_20240809T000500Z.csv</c>).
/// </summary>
internal sealed class CsvResult<T>(IReadOnlyList<T> rows, CsvColumns<T> columns, string fileStem, DateTimeOffset exportedAt)
    : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public const string MediaType = "text/csv";

    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => MediaType + "; charset=utf-8";

    public string FileName { get; } = $"{fileStem}_{exportedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.csv";

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [MediaType]));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = FileName }.ToString();

        await response.Body.WriteAsync(ByteOrderMark, httpContext.RequestAborted);
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 32 * 1024);
        var line = new StringBuilder();
        foreach (var (header, _) in columns.Columns)
        {
            Append(line, header);
        }

        await WriteLineAsync(writer, line, httpContext.RequestAborted);
        foreach (var row in rows)
        {
            foreach (var (_, cell) in columns.Columns)
            {
                Append(line, cell(row));
            }

            await WriteLineAsync(writer, line, httpContext.RequestAborted);
        }
    }

    private static async Task WriteLineAsync(StreamWriter writer, StringBuilder line, CancellationToken cancellationToken)
    {
        line.Append("\r\n");
        await writer.WriteAsync(line, cancellationToken);
        line.Clear();
    }

    private static void Append(StringBuilder line, object? value)
    {
        if (line.Length > 0)
        {
            line.Append(',');
        }

        switch (value)
        {
            case null:
                break;
            case DateTimeOffset time:
                line.Append(time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                break;
            case bool flag:
                line.Append(flag ? "true" : "false");
                break;
            case IFormattable number:
                line.Append(number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                AppendText(line, value.ToString() ?? "");
                break;
        }
    }

    private static void AppendText(StringBuilder line, string text)
    {
        // A leading =, +, - or @ makes a spreadsheet evaluate the cell as a formula; a quote mark keeps it text.
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@')
        {
            text = "'" + text;
        }

        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(text);
            return;
        }

        line.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
