using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// What differs between Binance spot and USD-M futures: names, REST paths, weights and page sizes
/// (from Binance's API documentation), and the trade payload (futures trades carry their kind in <c>X</c>).
/// </summary>
internal sealed class BinanceMarket
{
    public static readonly BinanceMarket Spot = new(
        exchange: Exchanges.Binance,
        market: Markets.Spot,
        configurationSection: BinanceSpotOptions.SectionName,
        historicalTradesPath: "/api/v3/historicalTrades",
        historicalTradesWeight: 25,
        historicalTradesLimit: 1000,
        exchangeInfoPath: "/api/v3/exchangeInfo",
        exchangeInfoWeight: 20,
        isFutures: false);

    public static readonly BinanceMarket Usdm = new(
        exchange: Exchanges.BinanceUsdm,
        market: Markets.Usdm,
        configurationSection: BinanceUsdmOptions.SectionName,
        historicalTradesPath: "/fapi/v1/historicalTrades",
        historicalTradesWeight: 20,
        historicalTradesLimit: 500,
        exchangeInfoPath: "/fapi/v1/exchangeInfo",
        exchangeInfoWeight: 1,
        isFutures: true);

    private BinanceMarket(
        string exchange,
        string market,
        string configurationSection,
        string historicalTradesPath,
        int historicalTradesWeight,
        int historicalTradesLimit,
        string exchangeInfoPath,
        int exchangeInfoWeight,
        bool isFutures)
    {
        Exchange = exchange;
        Market = market;
        ConfigurationSection = configurationSection;
        HistoricalTradesPath = historicalTradesPath;
        HistoricalTradesWeight = historicalTradesWeight;
        HistoricalTradesLimit = historicalTradesLimit;
        ExchangeInfoPath = exchangeInfoPath;
        ExchangeInfoWeight = exchangeInfoWeight;
        IsFutures = isFutures;
    }

    /// <summary><see cref="Exchanges.Binance"/> or <see cref="Exchanges.BinanceUsdm"/>.</summary>
    public string Exchange { get; }

    public string Market { get; }

    public string ConfigurationSection { get; }

    /// <summary>Trades by id (<c>fromId</c>), the back-fill's source.</summary>
    public string HistoricalTradesPath { get; }

    public int HistoricalTradesWeight { get; }

    /// <summary>Most trades one historicalTrades call returns.</summary>
    public int HistoricalTradesLimit { get; }

    public string ExchangeInfoPath { get; }

    public int ExchangeInfoWeight { get; }

    /// <summary>
    /// USD-M futures: trades carry their kind (<c>X</c>), and REST lists only order-book trades, so insurance-fund
    /// and ADL trades keep their ids on the stream but are never served over REST (futures klines leave them out too).
    /// </summary>
    public bool IsFutures { get; }

    public string HttpClientName => "binance-" + Market;

    public override string ToString() => Exchange;
}
