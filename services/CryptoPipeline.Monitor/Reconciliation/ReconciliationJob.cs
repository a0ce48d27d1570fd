using System.Text.Json.Nodes;
using CryptoPipeline.Contracts;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Scheduling;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Monitor.Reconciliation;

/// <summary>
/// Re-derives the finished Binance candles of a recent window from the exchange's official 1-minute klines and
/// records every difference in <c>reconciliation_mismatches</c> (field by field, with both values), feeding the
/// reconciliation-mismatch alert rule per instrument. Only live (and back-filled) candles are compared: replayed
/// and simulated data is not the exchange's present.
/// </summary>
internal sealed partial class ReconciliationJob(
    NpgsqlDataSource dataSource,
    BinanceKlinesClient klines,
    AlertEvaluator alerts,
    IOptions<ReconciliationOptions> options,
    MonitorTelemetry telemetry,
    ILogger<ReconciliationJob> logger) : IMonitorJob
{
    private const string InstrumentsSql = """
        SELECT DISTINCT exchange, symbol FROM trades_1min_agg
        WHERE exchange = ANY($1) AND window_start >= $2 AND window_start < $3 AND source IN ('live', 'backfill')
        ORDER BY exchange, symbol
        """;

    private const string CandlesSql = """
        SELECT window_start, open, high, low, close, volume, quote_volume, trade_count, taker_buy_volume, taker_buy_quote_volume, is_final
        FROM trades_1min_agg
        WHERE exchange = $1 AND symbol = $2 AND window_start >= $3 AND window_start < $4 AND source IN ('live', 'backfill')
        ORDER BY window_start
        """;

    private static readonly string[] ReconciledExchanges = [Exchanges.Binance, Exchanges.BinanceUsdm];

    public JobDeclaration Declaration => JobDeclarations.Reconciliation;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var end = context.StartedAt - settings.Settle;
        var to = new DateTimeOffset(end.Year, end.Month, end.Day, end.Hour, end.Minute, 0, TimeSpan.Zero);
        var from = to - settings.Window;
        var instruments = await ReadInstrumentsAsync(from, to, cancellationToken);
        if (instruments.Count == 0)
        {
            return JobResult.Skipped($"no live Binance candles between {from:O} and {to:O}", new JsonObject { ["from"] = from, ["to"] = to });
        }

        var mismatches = new List<(string Exchange, string Symbol, CandleMismatch Mismatch)>();
        var observations = new List<AlertObservation>();
        var errors = new List<string>();
        int compared = 0, notFinal = 0, mismatchedCandles = 0;
        foreach (var (exchange, symbol) in instruments)
        {
            CandleComparison comparison;
            try
            {
                var ours = await ReadCandlesAsync(exchange, symbol, from, to, cancellationToken);
                var (baseUrl, path) = exchange == Exchanges.BinanceUsdm
                    ? (settings.FuturesBaseUrl, "/fapi/v1/klines")
                    : (settings.BaseUrl, "/api/v3/klines");
                comparison = CandleComparison.Compare(ours, await klines.GetAsync(baseUrl, path, symbol, from, to, cancellationToken));
            }
            catch (HttpRequestException e)
            {
                errors.Add($"{exchange}:{symbol}: {e.Message}");
                continue;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Add($"{exchange}:{symbol}: no answer within {settings.RequestTimeout} ({ReconciliationOptions.SectionName}:RequestTimeout): {e.Message}");
                continue;
            }

            compared += comparison.Compared;
            notFinal += comparison.NotFinal;
            mismatchedCandles += comparison.MismatchedCandles;
            mismatches.AddRange(comparison.Mismatches.Select(m => (exchange, symbol, m)));
            foreach (var kind in comparison.Mismatches.GroupBy(m => m.Kind))
            {
                telemetry.ReconciliationMismatches.Add(
                    kind.Count(), new KeyValuePair<string, object?>("exchange", exchange), new KeyValuePair<string, object?>("kind", kind.Key));
            }

            observations.Add(new AlertObservation(
                $"{exchange}:{symbol}",
                comparison.Mismatches.Count > 0,
                comparison.Mismatches.Count == 0
                    ? $"{comparison.Compared} candles match the exchange's klines"
                    : $"{comparison.MismatchedCandles} of {comparison.Compared + comparison.Mismatches.Count(m => m.Kind == CandleMismatch.Missing)} candles differ from the exchange's klines (run {context.RunId})",
                new JsonObject
                {
                    ["runId"] = context.RunId,
                    ["from"] = from,
                    ["to"] = to,
                    ["candles"] = comparison.MismatchedCandles,
                    ["firstCandles"] = new JsonArray([.. comparison.Mismatches.Select(m => m.WindowStart).Distinct().Take(10).Select(t => (JsonNode?)t)]),
                }));
        }

        var recorded = await RecordAsync(context.RunId, mismatches, settings.MaxRecordedMismatches, cancellationToken);
        var fields = mismatches.Count(m => m.Mismatch.Kind == CandleMismatch.FieldKind);
        var missing = mismatches.Count(m => m.Mismatch.Kind == CandleMismatch.Missing);
        var unexpected = mismatches.Count(m => m.Mismatch.Kind == CandleMismatch.Unexpected);
        await alerts.ObserveAsync(AlertRules.ReconciliationMismatch, observations, complete: errors.Count == 0, cancellationToken);

        var metrics = new JsonObject
        {
            ["from"] = from,
            ["to"] = to,
            ["instruments"] = instruments.Count,
            ["candlesCompared"] = compared,
            ["candlesNotFinal"] = notFinal,
            ["candlesMismatched"] = mismatchedCandles,
            ["fieldMismatches"] = fields,
            ["missing"] = missing,
            ["unexpected"] = unexpected,
            ["recorded"] = recorded,
            ["errors"] = errors.Count,
        };
        var found = mismatches.Count == 0
            ? $"all {compared} final candles of {instruments.Count - errors.Count} instrument(s) from {from:O} to {to:O} match the exchange's klines"
            : $"{mismatchedCandles} candle(s) differ from the exchange's klines ({fields} field(s), {missing} missing, {unexpected} unexpected)" +
              $" between {from:O} and {to:O}; GET /api/v1/monitor/runs/{context.RunId}/mismatches lists them";
        if (errors.Count > 0)
        {
            return JobResult.Failed($"could not reconcile {errors.Count} of {instruments.Count} instrument(s): {string.Join("; ", errors)}. {found}", metrics);
        }

        if (mismatches.Count > 0)
        {
            LogMismatches(context.RunId, mismatchedCandles, from, to);
        }

        return JobResult.Succeeded(found, metrics);
    }

    private async Task<List<(string Exchange, string Symbol)>> ReadInstrumentsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(InstrumentsSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ReconciledExchanges });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var instruments = new List<(string, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            instruments.Add((reader.GetString(0), reader.GetString(1)));
        }

        return instruments;
    }

    private async Task<List<StoredCandle>> ReadCandlesAsync(string exchange, string symbol, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(CandlesSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = exchange });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = symbol });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = from });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = to });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var candles = new List<StoredCandle>();
        while (await reader.ReadAsync(cancellationToken))
        {
            candles.Add(new StoredCandle(
                new MinuteCandle(
                    reader.GetFieldValue<DateTimeOffset>(0),
                    reader.GetDecimal(1),
                    reader.GetDecimal(2),
                    reader.GetDecimal(3),
                    reader.GetDecimal(4),
                    reader.GetDecimal(5),
                    reader.GetDecimal(6),
                    reader.GetInt64(7),
                    reader.GetDecimal(8),
                    reader.GetDecimal(9)),
                reader.GetBoolean(10)));
        }

        return candles;
    }

    private async Task<int> RecordAsync(long runId, List<(string Exchange, string Symbol, CandleMismatch Mismatch)> mismatches, int max, CancellationToken cancellationToken)
    {
        if (mismatches.Count == 0)
        {
            return 0;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY reconciliation_mismatches (run_id, exchange, symbol, window_start, kind, field, ours, exchange_value) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        var recorded = 0;
        foreach (var (exchange, symbol, mismatch) in mismatches.Take(max))
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(runId, NpgsqlDbType.Bigint, cancellationToken);
            await import.WriteAsync(exchange, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(symbol, NpgsqlDbType.Text, cancellationToken);
            await import.WriteAsync(mismatch.WindowStart, NpgsqlDbType.TimestampTz, cancellationToken);
            await import.WriteAsync(mismatch.Kind, NpgsqlDbType.Text, cancellationToken);
            foreach (var text in new[] { mismatch.Field, mismatch.Ours, mismatch.Exchange })
            {
                if (text is null)
                {
                    await import.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await import.WriteAsync(text, NpgsqlDbType.Text, cancellationToken);
                }
            }

            recorded++;
        }

        await import.CompleteAsync(cancellationToken);
        return recorded;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation run {RunId}: {Candles} candle(s) between {From:O} and {To:O} differ from the exchange's klines")]
    private partial void LogMismatches(long runId, int candles, DateTimeOffset from, DateTimeOffset to);
}
