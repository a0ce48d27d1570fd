using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// The <c>replay</c> source: publishes the recorded trades and quotes of <see cref="ReplayOptions.Path"/>,
/// labelled <see cref="DataSource.Replay"/>, at the configured speed, then marks the end of input on every
/// partition and completes <see cref="ReplayCompletion"/>. Series of files are merged by recorded time, so the
/// replay runs along one clock and each symbol stays in its recorded order.
/// </summary>
internal sealed partial class ReplayService(
    IOptions<ReplayOptions> options,
    IMarketDataSink sink,
    ReplayCompletion completion,
    BadInputLog badInput,
    IngestTelemetry telemetry,
    TimeProvider time,
    ILogger<ReplayService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Off the host's start-up path: reading and parsing is synchronous work.
            await Task.Run(() => ReplayAsync(stoppingToken), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            completion.Cancel();
        }
        catch (Exception e)
        {
            LogFailed(e);
            completion.Fail(e);
            throw;
        }
    }

    private async Task ReplayAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var files = ReplayFile.Resolve(settings.Path!, settings.Pattern, settings.Exchange);
        var progress = completion.Progress;
        var series = files.Select(f => new ReplaySeries(f, settings.Symbols, progress, badInput, time, settings.MaxLineBytes)).ToList();
        progress.Track(series);
        var fileCount = files.Sum(f => f.Count);
        foreach (var file in files.SelectMany(f => f))
        {
            LogFile(file.Name, file.IsTradeCsv ? "trade CSV" : "recorded feed", file.Exchange);
        }

        var speed = settings.ParsedSpeed;
        LogStarting(fileCount, files.Count, settings.Path!, speed.ToString(), progress.TotalBytes);
        var started = time.GetTimestamp();
        var lastReport = started;
        var pacer = new ReplayPacer(speed, time);
        var exchanges = files.SelectMany(f => f).Select(f => f.Exchange).Distinct().ToList();

        foreach (var record in Merge(series))
        {
            await pacer.WaitAsync(record.At, stoppingToken);
            if (record.Trade is { } trade)
            {
                telemetry.CountMessage(trade.Exchange, "trade");
                await sink.PublishAsync(trade, stoppingToken);
            }
            else
            {
                telemetry.CountMessage(record.Quote!.Exchange, "quote");
                await sink.PublishAsync(record.Quote!, stoppingToken);
            }

            progress.Published(record);
            if (time.GetElapsedTime(lastReport) >= settings.ProgressInterval)
            {
                lastReport = time.GetTimestamp();
                LogProgress(progress.Percent, progress.Messages, progress.Trades, progress.Quotes, progress.Skipped, progress.RecordedTime);
            }
        }

        await sink.PublishEndOfInputAsync(stoppingToken);
        var summary = new ReplaySummary(fileCount, progress.Messages, progress.Trades, progress.Quotes, progress.Skipped, time.GetElapsedTime(started));
        LogDone(summary.Trades, summary.Quotes, summary.Messages, summary.Skipped, summary.Elapsed.TotalSeconds);
        foreach (var exchange in exchanges)
        {
            if (badInput.Count(exchange, BadInputKinds.UnknownSymbol) is > 0 and var unknown)
            {
                LogUnknownSymbols(unknown, exchange, string.Join(",", settings.Symbols));
            }
        }

        completion.Complete(summary);
    }

    /// <summary>The series' records in recorded-time order; each series keeps its own order.</summary>
    private static IEnumerable<ReplayRecord> Merge(IReadOnlyList<ReplaySeries> series)
    {
        if (series.Count == 1)
        {
            foreach (var record in series[0].Read())
            {
                yield return record;
            }

            yield break;
        }

        var heads = new PriorityQueue<IEnumerator<ReplayRecord>, DateTimeOffset>();
        var open = new List<IEnumerator<ReplayRecord>>();
        try
        {
            foreach (var one in series)
            {
                var reader = one.Read().GetEnumerator();
                open.Add(reader);
                if (reader.MoveNext())
                {
                    heads.Enqueue(reader, reader.Current.At);
                }
            }

            while (heads.TryDequeue(out var reader, out _))
            {
                yield return reader.Current;
                if (reader.MoveNext())
                {
                    heads.Enqueue(reader, reader.Current.At);
                }
            }
        }
        finally
        {
            open.ForEach(reader => reader.Dispose());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay file {File}: {Format}, {Exchange}.")]
    private partial void LogFile(string file, string format, string exchange);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Files} file(s) in {Series} series from {Path} at speed {Speed} ({Bytes} bytes).")]
    private partial void LogStarting(int files, int series, string path, string speed, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay {Percent:0.0}% of the bytes: {Messages} messages read, {Trades} trades and {Quotes} quotes published, {Skipped} skipped; recorded time {RecordedTime:O}.")]
    private partial void LogProgress(double percent, long messages, long trades, long quotes, long skipped, DateTimeOffset? recordedTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay done: {Trades} trades and {Quotes} quotes published from {Messages} messages ({Skipped} skipped) in {Seconds:0.0} s; end of input marked in Kafka.")]
    private partial void LogDone(long trades, long quotes, long messages, long skipped, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} {Exchange} message(s) were skipped because their symbol is not in Ingest:Replay:Symbols ({Symbols}).")]
    private partial void LogUnknownSymbols(long count, string exchange, string symbols);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The replay failed.")]
    private partial void LogFailed(Exception exception);
}
