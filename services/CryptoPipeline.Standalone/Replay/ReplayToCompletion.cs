using System.Globalization;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor;
using CryptoPipeline.Standalone.Kafka;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Standalone.Replay;

/// <summary>
/// <c>--exit-when-done</c>: once the replay has published everything (its end-of-input marks included), waits until the
/// processor has committed every message of the pipeline's topics to PostgreSQL — the end-of-input marks make every
/// window final in the same transactions — prints a summary and stops the host with exit code 0. A failed replay, or
/// replayed candles that are not final, end with exit code 1.
/// </summary>
internal sealed partial class ReplayToCompletion(
    ReplayCompletion replay,
    IOptions<KafkaOptions> kafka,
    IOptions<ProcessorOptions> processor,
    NpgsqlDataSource database,
    IHostApplicationLifetime lifetime,
    ILogger<ReplayToCompletion> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);
    private const string SummarySql = """
        SELECT count(*), count(*) FILTER (WHERE is_final), coalesce(sum(trade_count), 0), count(DISTINCT (exchange, symbol)),
               min(window_start), max(window_end)
        FROM trades_1min_agg WHERE source = 'replay'
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var published = await replay.Completion.WaitAsync(stoppingToken);
            LogWaiting(published.Trades, published.Quotes);
            await WaitForProcessorAsync(stoppingToken);
            Environment.ExitCode = await SummarizeAsync(published, stoppingToken) ? 0 : 1;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            LogFailed(e);
            Environment.ExitCode = 1;
        }

        lifetime.StopApplication();
    }

    private async Task WaitForProcessorAsync(CancellationToken cancellationToken)
    {
        var settings = kafka.Value;
        using var admin = new AdminClientBuilder(settings.CreateAdminConfig()).Build();
        var clusterId = await admin.GetClusterIdAsync(TimeSpan.FromSeconds(30)).WaitAsync(cancellationToken);
        var lastProgress = DateTimeOffset.MinValue;
        while (true)
        {
            var offsets = await admin.ReadOffsetsAsync(Topics.Data, TimeSpan.FromSeconds(30), cancellationToken);
            var committed = await ProcessorOffsets.ReadAsync(database, clusterId, processor.Value.ConsumerGroup, cancellationToken);
            long total = 0, remaining = 0;
            foreach (var partition in offsets.Partitions)
            {
                var next = committed.GetValueOrDefault((partition.Topic, partition.Partition), partition.Low);
                total += partition.High - partition.Low;
                remaining += Math.Max(0, partition.High - Math.Max(next, partition.Low));
            }

            if (remaining == 0)
            {
                return;
            }

            if (DateTimeOffset.UtcNow - lastProgress >= ProgressInterval)
            {
                lastProgress = DateTimeOffset.UtcNow;
                LogProgress(total - remaining, total, total == 0 ? 100 : 100.0 * (total - remaining) / total);
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private async Task<bool> SummarizeAsync(ReplaySummary published, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(SummarySql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var candles = reader.GetInt64(0);
        var final = reader.GetInt64(1);
        var trades = reader.GetInt64(2);
        var instruments = reader.GetInt64(3);
        var range = candles == 0
            ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"{reader.GetFieldValue<DateTimeOffset>(4):yyyy-MM-dd HH:mm}Z to {reader.GetFieldValue<DateTimeOffset>(5):yyyy-MM-dd HH:mm}Z");
        Console.Out.Write(string.Create(CultureInfo.InvariantCulture, $"""

            Replay complete
              published:  {published.Trades:N0} trades and {published.Quotes:N0} quotes from {published.Messages:N0} messages in {published.Files} file(s) ({published.Skipped:N0} skipped), {published.Elapsed.TotalSeconds:0.0} s
              committed:  every message of {Topics.RawTrades}, {Topics.Quotes} and {Topics.Prices} is in PostgreSQL
              candles:    {candles:N0} one-minute candles labelled 'replay' ({final:N0} final) for {instruments} instrument(s), {trades:N0} trades, {range}

            """));
        if (final == candles)
        {
            return true;
        }

        LogNotFinal(candles - final);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay published {Trades} trades and {Quotes} quotes; waiting for the processor to commit them.")]
    private partial void LogWaiting(long trades, long quotes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processor: {Committed} of {Total} messages committed ({Percent:0.0}%).")]
    private partial void LogProgress(long committed, long total, double percent);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} replayed candle(s) are not final although every message is committed; exiting with code 1.")]
    private partial void LogNotFinal(long count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The replay did not complete; exiting with code 1.")]
    private partial void LogFailed(Exception exception);
}
