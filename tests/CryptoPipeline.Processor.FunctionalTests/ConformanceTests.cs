using CryptoPipeline.Contracts;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Recorded Binance trades through Kafka into PostgreSQL give Binance's own klines (data/README.md).</summary>
public sealed class ConformanceTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Usdm_futures_recording_gives_the_official_klines_on_every_full_minute()
    {
        var trades = Recordings.UsdmTrades;
        var candles = await ProcessAsync(trades, Exchanges.BinanceUsdm);

        var klines = Recordings.Klines(Recordings.UsdmKlines).ToDictionary(k => k.OpenTime);
        var fullMinutes = Recordings.FullMinutes(trades);
        Assert.Equal(7, fullMinutes.Count);
        Assert.All(fullMinutes, minute => Assert.Equal(klines[minute], AsKline(candles[minute])));

        // The minute of the insurance-fund trade matches only because it is left out, as Binance does.
        Assert.Contains(trades, t => t.Kind == TradeKind.InsuranceFund && fullMinutes.Contains(Recordings.StartOfMinute(t.TradeTime)));
    }

    [Fact]
    public async Task Spot_trades_archive_gives_the_official_kline_of_its_full_minute()
    {
        var trades = Recordings.SpotCsvTrades;
        var candles = await ProcessAsync(trades, Exchanges.Binance);

        var klines = Recordings.Klines(Recordings.SpotKlines).ToDictionary(k => k.OpenTime);
        var minute = Assert.Single(Recordings.FullMinutes(trades));
        Assert.Equal(klines[minute], AsKline(candles[minute]));
    }

    internal static OfficialKline AsKline(CandleRow c) =>
        new(c.WindowStart, c.Open, c.High, c.Low, c.Close, c.Volume, c.QuoteVolume, c.TradeCount, c.TakerBuyVolume, c.TakerBuyQuoteVolume);

    private async Task<Dictionary<DateTimeOffset, CandleRow>> ProcessAsync(IReadOnlyList<Trade> trades, string exchange)
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        kafka.Publish(trades);
        kafka.PublishEndOfInput();

        await using (await ProcessorHost.StartAsync(kafka.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, kafka);
        }

        var candles = await Tables.CandlesAsync(database, exchange, "BTCUSDT");
        Assert.All(candles, c => Assert.True(c.IsFinal, $"{c.WindowStart:O} is not final after the end of input"));
        return candles.ToDictionary(c => c.WindowStart);
    }
}
