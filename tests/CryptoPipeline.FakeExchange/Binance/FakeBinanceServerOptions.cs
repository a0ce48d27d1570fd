namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>What a <see cref="FakeBinanceServer"/> replays and how.</summary>
public sealed class FakeBinanceServerOptions
{
    public required FakeBinanceMarket Market { get; init; }

    /// <summary>Recorded feeds relative to shared/data, e.g. <c>binance/spot-ws/spot_btcusdt_20240808.gz</c>.</summary>
    public required IReadOnlyList<string> Recordings { get; init; }

    /// <summary>Null: as fast as the connections take the frames. 1: the recorded pace; 10: ten times faster.</summary>
    public double? Speed { get; init; }

    /// <summary>
    /// Also sends a subscribed symbol's streams that were not subscribed (<c>@depth</c>, <c>@markPrice</c>, …), as a
    /// careless exchange would; by default a connection gets exactly the streams it subscribed.
    /// </summary>
    public bool SendUnsubscribedStreams { get; init; }

    /// <summary>The symbols <c>exchangeInfo</c> lists; by default the recording's, trading against USDT.</summary>
    public IReadOnlyList<FakeSymbol>? ExchangeInfoSymbols { get; init; }

    /// <summary>Binance drops a connection that sends more messages than this in a second (pings and pongs count).</summary>
    public int MaxIncomingMessagesPerSecond { get; init; } = 5;

    /// <summary>The clock of the REST weight minutes; share the client's when a test moves time by hand.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>One <c>exchangeInfo</c> entry.</summary>
public sealed record FakeSymbol(string Symbol, string QuoteAsset = "USDT", string Status = "TRADING", string ContractType = "PERPETUAL");
