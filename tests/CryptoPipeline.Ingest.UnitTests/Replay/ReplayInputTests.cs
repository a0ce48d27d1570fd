using System.Text;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Replay;

namespace CryptoPipeline.Ingest.UnitTests.Replay;

public sealed class ReplayInputTests
{
    private static readonly DateTimeOffset Latest = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1723161254087896568 {\"a\":1}", 1723161254087896)]
    [InlineData("1680652800004107 {\"a\":1}", 1680652800004107)]
    [InlineData("1680652800004 {\"a\":1}", 1680652800004000)]
    public void Recorded_receive_times_in_ns_us_or_ms_are_told_apart_by_size(string line, long expectedMicroseconds)
    {
        Assert.True(RecordedLine.TryParse(Encoding.ASCII.GetBytes(line), out var receivedAt, out var json, out _));
        Assert.Equal(UnixMicroseconds.ToDateTimeOffset(expectedMicroseconds), receivedAt);
        Assert.Equal("{\"a\":1}", Encoding.ASCII.GetString(json));
    }

    [Theory]
    [InlineData("{\"no\":\"time\"}")]
    [InlineData("12x4 {}")]
    [InlineData("12345 {}")]
    public void Lines_without_a_receive_time_are_refused(string line) =>
        Assert.False(RecordedLine.TryParse(Encoding.ASCII.GetBytes(line), out _, out _, out _));

    [Fact]
    public void A_written_line_reads_back_with_its_time_to_the_tick()
    {
        var at = new DateTimeOffset(2024, 8, 8, 23, 54, 15, TimeSpan.Zero).AddTicks(1234567);
        var buffer = new byte[128];
        var length = RecordedLine.Write(buffer, at, "{\"x\":2}"u8);

        Assert.Equal((byte)'\n', buffer[length - 1]);
        Assert.True(RecordedLine.TryParse(buffer.AsSpan(0, length - 1), out var read, out var json, out _));
        Assert.Equal(UnixMicroseconds.ToDateTimeOffset(UnixMicroseconds.From(at)), read);
        Assert.Equal("{\"x\":2}", Encoding.ASCII.GetString(json));
    }

    [Theory]
    [InlineData("4359938008,93610.92000000,0.00104000,97.35535680,1735689659419631,True,True", 1735689659419631, true)]
    [InlineData("4359938008,93610.92000000,0.00104000,97.35535680,1735689659419,false", 1735689659419000, false)]
    public void Trade_csv_rows_in_us_or_ms_parse_exactly(string row, long microseconds, bool buyerIsMaker)
    {
        Assert.Equal(TradeCsv.Outcome.Trade, TradeCsv.Parse(Encoding.ASCII.GetBytes(row), Exchanges.Binance, Markets.Spot, "BTCUSDT", Latest, out var trade, out _, out _));
        Assert.Equal((4359938008L, "93610.92000000", "0.00104000", buyerIsMaker), (trade!.TradeId, DecimalText.ToText(trade.Price), DecimalText.ToText(trade.Quantity), trade.IsBuyerMaker));
        Assert.Equal(UnixMicroseconds.ToDateTimeOffset(microseconds), trade.TradeTime);
        Assert.Equal(DataSource.Replay, trade.Source);
    }

    [Theory]
    [InlineData("id,price,qty,quote_qty,time,is_buyer_maker", "Header", "")]
    [InlineData("garbage", "Bad", BadInputKinds.MalformedJson)]
    [InlineData("1,2,3", "Bad", BadInputKinds.MissingField)]
    [InlineData("99999999999999999999,1,1,1,1735689659419,true", "Bad", BadInputKinds.InvalidTradeId)]
    [InlineData("1,NaN,1,1,1735689659419,true", "Bad", BadInputKinds.InvalidPrice)]
    [InlineData("1,0,1,1,1735689659419,true", "Bad", BadInputKinds.InvalidPrice)]
    [InlineData("1,1,-2,1,1735689659419,true", "Bad", BadInputKinds.InvalidQuantity)]
    [InlineData("1,1,1,1,1735689659,true", "Bad", BadInputKinds.AbsurdTimestamp)]
    [InlineData("1,1,1,1,4102444800000,true", "Bad", BadInputKinds.AbsurdTimestamp)]
    [InlineData("1,1,1,1,1735689659419,maybe", "Bad", BadInputKinds.WrongType)]
    public void Csv_headers_are_skipped_and_bad_rows_named_by_kind(string row, string outcome, string kind)
    {
        Assert.Equal(Enum.Parse<TradeCsv.Outcome>(outcome), TradeCsv.Parse(Encoding.ASCII.GetBytes(row), Exchanges.Binance, Markets.Spot, "BTCUSDT", Latest, out _, out var badKind, out _));
        Assert.Equal(kind, badKind);
    }

    [Fact]
    public void An_oversized_line_is_skipped_with_a_sample_and_the_next_line_reads_whole()
    {
        var text = "short\n" + new string('x', 5000) + "\r\nafter\nlast";
        var reader = new LineReader(new MemoryStream(Encoding.ASCII.GetBytes(text)), maxLineBytes: 1024);
        var lines = new List<(string, bool)>();
        while (reader.TryReadLine(out var line, out var oversized))
        {
            lines.Add((Encoding.ASCII.GetString(line.Span), oversized));
        }

        Assert.Equal([("short", false), (new string('x', 300), true), ("after", false), ("last", false)], lines);
    }

    [Theory]
    [InlineData("max", double.PositiveInfinity)]
    [InlineData("realtime", 1)]
    [InlineData("10x", 10)]
    [InlineData("0.5x", 0.5)]
    public void Replay_speeds_parse(string text, double factor)
    {
        Assert.True(ReplaySpeed.TryParse(text, out var speed));
        Assert.Equal(factor, speed.Value.Factor);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("0x")]
    [InlineData("-2x")]
    [InlineData("10")]
    public void Unknown_replay_speeds_are_refused(string text) => Assert.False(ReplaySpeed.TryParse(text, out _));

    [Theory]
    [InlineData("usdm_btcusdt_20240808.gz", Exchanges.BinanceUsdm)]
    [InlineData("BTCUSDT-UM-trades-2024-01-01.csv", Exchanges.BinanceUsdm)]
    [InlineData("spot_btcusdt_20240808.gz", Exchanges.Binance)]
    [InlineData("binance-usdm_20250101.gz", Exchanges.BinanceUsdm)]
    public void Replay_tells_futures_files_by_their_names(string name, string exchange) =>
        Assert.Equal(exchange, ReplayFile.ExchangeFromName(name));
}
