using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Contracts.UnitTests;

/// <summary>Real exchange values from shared/data go through the wire format unchanged.</summary>
public class RecordedDataTests
{
    private const string SpotTradesCsv = "binance/spot-trades-csv/BTCUSDT-trades-2025-01-01.rows4359938008-4359939300.csv";

    [Theory]
    [InlineData("spot_trade_combined_2024", 1_000)]
    [InlineData("spot_trade_combined_2023_with_b_a_fields", 1)]
    public void Recorded_spot_trades_survive_the_wire_with_the_exchange_text(string group, long localTicksPerMicrosecond)
    {
        var messages = RecordedBinance.Messages(group, localTicksPerMicrosecond);

        Assert.NotEmpty(messages);
        foreach (var (data, receivedAt) in messages)
        {
            var trade = RecordedBinance.Trade(data, Exchanges.Binance, Markets.Spot, receivedAt);

            var parsed = RoundTrip(trade);

            Assert.Equal(trade, parsed);
            Assert.Equal(data.GetProperty("p").GetString(), DecimalText.ToText(parsed.Price));
            Assert.Equal(data.GetProperty("q").GetString(), DecimalText.ToText(parsed.Quantity));
            Assert.Equal(data.GetProperty("T").GetInt64() * 1000, UnixMicroseconds.From(parsed.TradeTime));
            Assert.Equal(TradeKind.Market, parsed.Kind);
        }
    }

    [Fact]
    public void Recorded_futures_market_trades_keep_kind_and_taker_side()
    {
        var messages = RecordedBinance.Messages("usdm_trade_combined", 1);

        foreach (var (data, receivedAt) in messages)
        {
            var parsed = RoundTrip(RecordedBinance.Trade(data, Exchanges.BinanceUsdm, Markets.Usdm, receivedAt));

            Assert.Equal(TradeKind.Market, parsed.Kind);
            Assert.Equal(data.GetProperty("m").GetBoolean() ? TakerSide.Sell : TakerSide.Buy, parsed.TakerSide);
            Assert.Equal(data.GetProperty("p").GetString(), DecimalText.ToText(parsed.Price));
        }
    }

    [Fact]
    public void Recorded_insurance_fund_trade_stays_an_insurance_fund_trade_on_the_wire()
    {
        var (data, receivedAt) = Assert.Single(RecordedBinance.Messages("usdm_trade_INSURANCE_FUND", 1));
        var trade = RecordedBinance.Trade(data, Exchanges.BinanceUsdm, Markets.Usdm, receivedAt);

        var json = TradeJson.Serialize(trade);
        Assert.True(TradeJson.TryParse(json, out var parsed, out var error), error);

        Assert.Contains("\"kind\":\"INSURANCE_FUND\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(TradeKind.InsuranceFund, parsed.Kind);
        Assert.Equal(3535191080, parsed.TradeId);
        Assert.Equal("28722.50", DecimalText.ToText(parsed.Price));
        Assert.Equal(trade, parsed);
    }

    [Theory]
    [InlineData("spot_bookTicker_combined_2024", 1_000, Exchanges.Binance, Markets.Spot)]
    [InlineData("usdm_bookTicker_combined", 1, Exchanges.BinanceUsdm, Markets.Usdm)]
    public void Recorded_book_tickers_survive_the_wire_with_the_exchange_text(string group, long localTicksPerMicrosecond, string exchange, string market)
    {
        var messages = RecordedBinance.Messages(group, localTicksPerMicrosecond);

        Assert.NotEmpty(messages);
        foreach (var (data, receivedAt) in messages)
        {
            var quote = RecordedBinance.Quote(data, exchange, market, receivedAt);

            Assert.True(QuoteJson.TryParse(QuoteJson.Serialize(quote), out var parsed, out var error), error);

            Assert.Equal(quote, parsed);
            Assert.Equal(data.GetProperty("b").GetString(), DecimalText.ToText(parsed.BidPrice));
            Assert.Equal(data.GetProperty("B").GetString(), DecimalText.ToText(parsed.BidQuantity));
            Assert.Equal(data.GetProperty("a").GetString(), DecimalText.ToText(parsed.AskPrice));
            Assert.Equal(data.GetProperty("A").GetString(), DecimalText.ToText(parsed.AskQuantity));
            Assert.Equal(data.TryGetProperty("T", out _), parsed.Time.HasValue);
        }
    }

    [Fact]
    public void Quote_quantity_equals_the_archive_quote_qty_exactly_for_every_recorded_spot_trade()
    {
        var rows = File.ReadAllLines(SharedData.Path(SpotTradesCsv));

        Assert.Equal(1293, rows.Length);
        foreach (var row in rows)
        {
            var columns = row.Split(',');
            var trade = CsvTrade(columns);
            Assert.True(DecimalText.TryParse(columns[3].AsSpan(), out var archiveQuoteQuantity), row);

            Assert.True(trade.QuoteQuantity == archiveQuoteQuantity, $"row {columns[0]}: {trade.Price} × {trade.Quantity} = {trade.QuoteQuantity}, archive says {columns[3]}");
        }
    }

    [Fact]
    public void Every_recorded_spot_trade_survives_the_wire_with_microsecond_time_and_scale()
    {
        foreach (var row in File.ReadAllLines(SharedData.Path(SpotTradesCsv)))
        {
            var columns = row.Split(',');
            var trade = CsvTrade(columns);

            var parsed = RoundTrip(trade);

            Assert.Equal(trade, parsed);
            Assert.Equal(columns[1], DecimalText.ToText(parsed.Price));
            Assert.Equal(columns[2], DecimalText.ToText(parsed.Quantity));
            Assert.Equal(long.Parse(columns[4]), UnixMicroseconds.From(parsed.TradeTime));
            Assert.Equal(bool.Parse(columns[5]) ? TakerSide.Sell : TakerSide.Buy, parsed.TakerSide);
        }
    }

    [Fact]
    public void Recorded_binance_price_tickers_survive_the_wire_with_the_exchange_text()
    {
        using var samples = JsonDocument.Parse(File.ReadAllBytes(SharedData.Path("binance/rest/binance_rest_real_samples.json")));
        using var tickers = JsonDocument.Parse(samples.RootElement.GetProperty("v1_ticker_allPrices_2018").GetProperty("raw").GetString()!);
        var polledAt = UnixMicroseconds.ToDateTimeOffset(1515439245305000);

        Assert.NotEqual(0, tickers.RootElement.GetArrayLength());
        foreach (var ticker in tickers.RootElement.EnumerateArray())
        {
            var tick = new PriceTick
            {
                Exchange = Exchanges.Binance,
                Symbol = ticker.GetProperty("symbol").GetString()!,
                Price = RecordedBinance.Decimal(ticker, "price"),
                Time = polledAt,
                ReceivedAt = polledAt,
                Source = DataSource.Replay,
            };

            Assert.True(PriceTickJson.TryParse(PriceTickJson.Serialize(tick), out var parsed, out var error), error);

            Assert.Equal(tick, parsed);
            Assert.Equal(ticker.GetProperty("price").GetString(), DecimalText.ToText(parsed.Price));
        }
    }

    private static Trade CsvTrade(string[] columns)
    {
        Assert.True(DecimalText.TryParse(columns[1].AsSpan(), out var price), columns[1]);
        Assert.True(DecimalText.TryParse(columns[2].AsSpan(), out var quantity), columns[2]);
        var time = UnixMicroseconds.ToDateTimeOffset(long.Parse(columns[4]));
        return new Trade
        {
            Exchange = Exchanges.Binance,
            Market = Markets.Spot,
            Symbol = "BTCUSDT",
            TradeId = long.Parse(columns[0]),
            Price = price,
            Quantity = quantity,
            TradeTime = time,
            IsBuyerMaker = bool.Parse(columns[5]),
            Kind = TradeKind.Market,
            ReceivedAt = time,
            Source = DataSource.Replay,
        };
    }

    private static Trade RoundTrip(Trade trade)
    {
        Assert.True(TradeJson.TryParse(TradeJson.Serialize(trade), out var parsed, out var error), error);
        return parsed;
    }
}
