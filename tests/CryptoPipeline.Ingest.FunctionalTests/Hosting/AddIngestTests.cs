using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.FunctionalTests.Hosting;

/// <summary>AddIngest's start-up validation: every bad or missing setting stops the host, naming its key.</summary>
public sealed class AddIngestTests
{
    [Fact]
    public async Task Invalid_and_missing_settings_stop_start_up_with_messages_naming_each_key()
    {
        using var host = IngestTestHost.Build(new()
        {
            ["Ingest:Sources"] = "replay,nonsense,bitmex",
            ["Ingest:Symbols"] = "BTC USDT",
            ["Ingest:Replay:Speed"] = "fast",
            ["Ingest:Publishing:BufferCapacity"] = "0",
            ["Ingest:Bitmex:Url"] = "https://www.bitmex.com",
        });

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        var messages = string.Join(Environment.NewLine, Flatten(failure));

        Assert.Contains("Ingest:Sources contains 'nonsense', which is not a source: use binance, binance-usdm, bitmex, coingecko, binance-rest-prices, replay, simulated.", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Symbols contains 'BTC USDT'", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Replay:Path is required", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Replay: Speed = 'fast' is invalid", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Publishing:BufferCapacity must be between 1 and 10000000, got 0", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Bitmex: Url = 'https://www.bitmex.com' is invalid", messages, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:kafka is not set", messages, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:cryptodb is missing", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_restart_and_gap_repair_settings_stop_start_up_with_messages_naming_each_key()
    {
        using var host = IngestTestHost.Build(new()
        {
            ["Ingest:Sources"] = "binance",
            ["Ingest:Binance:Spot:MaxRestartBackfillTrades"] = "0",
            ["Ingest:Binance:Spot:MaxRestartBackfillAge"] = "00:00:00",
            ["Ingest:Binance:GapRepair:PollInterval"] = "00:00:00",
            ["Ingest:Binance:GapRepair:ReconnectDelay"] = "00:00:05",
            ["Ingest:Binance:GapRepair:MaxReconnectDelay"] = "00:00:01",
        });

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        var messages = string.Join(Environment.NewLine, Flatten(failure));

        Assert.Contains("Ingest:Binance:Spot:MaxRestartBackfillTrades must be between 1 and 10000000, got 0", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Spot:MaxRestartBackfillAge must be between 00:00:01 and 30.00:00:00, got 00:00:00", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:GapRepair:PollInterval must be between 00:00:01 and 1.00:00:00, got 00:00:00", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:GapRepair: MaxReconnectDelay (00:00:01) is shorter than ReconnectDelay (00:00:05).", messages, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Flatten(Exception failure) => failure switch
    {
        AggregateException many => many.InnerExceptions.SelectMany(Flatten),
        OptionsValidationException options => options.Failures,
        _ => [failure.Message],
    };
}
