using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// Reads one series of files (one recording split by day, say) as trades and quotes in file order. Recorded
/// frames go through the Binance feed's own parser, so a replay reads a frame exactly as the live feed would;
/// streams the feed does not use (depth, mark price) are read and passed over. Bad lines are reported and skipped.
/// Recorded frames of every symbol are read unless <c>symbols</c> names some.
/// </summary>
internal sealed class ReplaySeries(
    IReadOnlyList<ReplayFile> files,
    IReadOnlyList<string> symbols,
    ReplayProgress progress,
    BadInputLog badInput,
    TimeProvider time,
    int maxLineBytes)
{
    private long _bytesRead;

    /// <summary>Bytes of this series' files read so far (compressed where they are).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long TotalBytes { get; } = files.Sum(f => f.Length);

    public IEnumerable<ReplayRecord> Read()
    {
        var done = 0L;
        foreach (var file in files)
        {
            var (raw, content) = file.Open();
            using (raw)
            using (content)
            {
                var reader = new LineReader(content, maxLineBytes);
                var parser = file.IsTradeCsv ? null : new BinanceStreamParser(MarketOf(file), symbols.Count == 0 ? null : symbols, DataSource.Replay);
                var csvSymbol = file.IsTradeCsv ? CsvSymbol(file) : "";
                while (reader.TryReadLine(out var line, out var oversized))
                {
                    Interlocked.Exchange(ref _bytesRead, done + raw.Position);
                    if (line.IsEmpty && !oversized)
                    {
                        continue;
                    }

                    progress.Message();
                    if (oversized)
                    {
                        Skip(file, BadInputKinds.OversizedFrame, $"the line is longer than Ingest:Replay:MaxLineBytes ({maxLineBytes})", line.Span);
                        continue;
                    }

                    var record = parser is null ? ReadCsv(file, csvSymbol, line.Span) : ReadRecorded(file, parser, line.Span);
                    if (record is { } found)
                    {
                        yield return found;
                    }
                }
            }

            done += file.Length;
            Interlocked.Exchange(ref _bytesRead, done);
        }
    }

    private static BinanceMarket MarketOf(ReplayFile file) => file.Exchange == Exchanges.BinanceUsdm ? BinanceMarket.Usdm : BinanceMarket.Spot;

    private string CsvSymbol(ReplayFile file) =>
        TradeCsv.SymbolFromFileName(file.Name)
        ?? (symbols.Count == 1
            ? symbols[0]
            : throw new InvalidOperationException(
                $"Cannot tell the symbol of '{file.Name}' from its name (data.binance.vision names them SYMBOL-trades-DATE.csv): " +
                "set Ingest:Replay:Symbols to that one symbol."));

    private ReplayRecord? ReadRecorded(ReplayFile file, BinanceStreamParser parser, ReadOnlySpan<byte> line)
    {
        if (!RecordedLine.TryParse(line, out var receivedAt, out var json, out var error))
        {
            Skip(file, BadInputKinds.MalformedJson, error!, line);
            return null;
        }

        var frame = parser.Parse(json, receivedAt);
        switch (frame.Kind)
        {
            case BinanceFrameKind.Trade:
                return new ReplayRecord(receivedAt, frame.Trade, null);
            case BinanceFrameKind.Quote:
                return new ReplayRecord(receivedAt, null, frame.Quote);
            case BinanceFrameKind.Bad:
                Skip(file, BinanceBadInputNames.TagOf(frame.BadInput), frame.Detail ?? "", json);
                return null;
            default:
                return null;
        }
    }

    private ReplayRecord? ReadCsv(ReplayFile file, string symbol, ReadOnlySpan<byte> line)
    {
        switch (TradeCsv.Parse(line, file.Exchange, file.Market, symbol, time.GetUtcNow() + BinanceStreamParser.MaxClockLead, out var trade, out var kind, out var detail))
        {
            case TradeCsv.Outcome.Trade:
                return new ReplayRecord(trade!.TradeTime, trade, null);
            case TradeCsv.Outcome.Bad:
                Skip(file, kind, detail, line);
                return null;
            default:
                return null;
        }
    }

    private void Skip(ReplayFile file, string kind, string detail, ReadOnlySpan<byte> sample)
    {
        progress.Skip();
        badInput.Report(file.Exchange, kind, $"{file.Name}: {detail}", sample);
    }
}
