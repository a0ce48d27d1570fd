using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Simulation;

/// <summary>
/// A synthetic market, labelled as such: exchange <see cref="Exchange"/>, source <see cref="DataSource.Simulated"/>.
/// Trades arrive as one Poisson process over all symbols (so 400 symbols cost one clock, not 400 timers), each
/// symbol taking a share that falls off with its rank as activity does on a real exchange. Prices follow a
/// geometric random walk on the symbol's tick grid; each trade hits the bid or lifts the ask, is followed by a
/// fresh best bid/ask, and takes the symbol's next trade id. Everything derives from the seed and the start
/// time, so the same seed gives the same market.
/// </summary>
internal sealed class SimulatedMarket
{
    /// <summary>The exchange name of simulated data: never mistaken for a real exchange's rows.</summary>
    public const string Exchange = Exchanges.Simulated;

    private const double SecondsPerDay = 86_400;
    private const double RankSkew = 0.8;

    private static readonly Dictionary<string, double> KnownPrices = new(StringComparer.Ordinal)
    {
        ["BTCUSDT"] = 60_000,
        ["ETHUSDT"] = 3_000,
        ["BNBUSDT"] = 550,
        ["SOLUSDT"] = 150,
        ["XRPUSDT"] = 0.6,
    };

    private readonly Random _random;
    private readonly SymbolState[] _symbols;
    private readonly double[] _cumulativeShare;
    private readonly double _totalRate;
    private readonly double _volatilityPerSqrtSecond;
    private DateTimeOffset _now;

    public SimulatedMarket(IReadOnlyList<string> symbols, double tradesPerSecond, double dailyVolatility, int seed, DateTimeOffset start)
    {
        ArgumentOutOfRangeException.ThrowIfZero(symbols.Count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tradesPerSecond);
        _random = new Random(seed);
        _now = start;
        _totalRate = tradesPerSecond * symbols.Count;
        _volatilityPerSqrtSecond = dailyVolatility / Math.Sqrt(SecondsPerDay);
        _symbols = new SymbolState[symbols.Count];
        _cumulativeShare = new double[symbols.Count];
        var weights = Enumerable.Range(0, symbols.Count).Select(i => 1 / Math.Pow(i + 1, RankSkew)).ToArray();
        var total = weights.Sum();
        var cumulative = 0.0;
        for (var i = 0; i < symbols.Count; i++)
        {
            var price = KnownPrices.TryGetValue(symbols[i], out var known) ? known : Math.Exp(Uniform(Math.Log(0.01), Math.Log(1_000)));
            _symbols[i] = new SymbolState(symbols[i], price, start);
            cumulative += weights[i] / total;
            _cumulativeShare[i] = cumulative;
        }
    }

    public IReadOnlyList<string> Symbols => [.. _symbols.Select(s => s.Symbol)];

    /// <summary>The simulated clock: the time of the last trade.</summary>
    public DateTimeOffset Now => _now;

    /// <summary>The next trade and the best bid/ask right after it.</summary>
    public (Trade Trade, Quote Quote) Next()
    {
        _now += TimeSpan.FromSeconds(-Math.Log(1 - _random.NextDouble()) / _totalRate);
        var state = _symbols[PickSymbol()];

        var elapsed = (_now - state.LastTrade).TotalSeconds;
        state.LastTrade = _now;
        state.Fair *= Math.Exp(_volatilityPerSqrtSecond * Math.Sqrt(elapsed) * Normal());
        var bidTicks = Math.Max(1, (long)Math.Floor(state.Fair / state.TickValue));

        var takerSells = _random.NextDouble() < 0.5;
        var priceTicks = takerSells ? bidTicks : bidTicks + 1;

        // Trade sizes are log-normal in quote currency (a median of about 200 USDT), at least one lot.
        var notional = Math.Exp(Math.Log(200) + (1.2 * Normal()));
        var lots = Math.Max(1, (long)Math.Round(notional / (priceTicks * state.TickValue) / state.LotValue));

        var trade = new Trade
        {
            Exchange = Exchange,
            Market = Markets.Spot,
            Symbol = state.Symbol,
            TradeId = ++state.LastTradeId,
            Price = priceTicks * state.Tick,
            Quantity = lots * state.Lot,
            TradeTime = _now,
            IsBuyerMaker = takerSells,
            Kind = TradeKind.Market,
            ReceivedAt = _now,
            Source = DataSource.Simulated,
        };
        var quote = new Quote
        {
            Exchange = Exchange,
            Market = Markets.Spot,
            Symbol = state.Symbol,
            BidPrice = bidTicks * state.Tick,
            BidQuantity = RestingLots(state) * state.Lot,
            AskPrice = (bidTicks + 1) * state.Tick,
            AskQuantity = RestingLots(state) * state.Lot,
            UpdateId = ++state.LastUpdateId,
            Time = _now,
            ReceivedAt = _now,
            Source = DataSource.Simulated,
        };
        return (trade, quote);
    }

    /// <summary>Scale 10^e: <paramref name="exponent"/> ≥ 0 gives 1, 10, …; below, 0.1, 0.01, ….</summary>
    private static decimal PowerOfTen(int exponent) =>
        exponent >= 0 ? (decimal)Math.Pow(10, exponent) : new decimal(1, 0, 0, false, (byte)-exponent);

    private int PickSymbol()
    {
        var index = Array.BinarySearch(_cumulativeShare, _random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, _symbols.Length - 1);
    }

    private long RestingLots(SymbolState state) =>
        Math.Max(1, (long)Math.Round(Math.Exp(Math.Log(5_000) + Normal()) / state.Fair / state.LotValue));

    private double Uniform(double from, double to) => from + (_random.NextDouble() * (to - from));

    // Box–Muller: one standard normal draw from two uniform ones.
    private double Normal() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private sealed class SymbolState
    {
        public SymbolState(string symbol, double price, DateTimeOffset start)
        {
            Symbol = symbol;
            Fair = price;
            LastTrade = start;

            // Six significant digits of price (BTC at 60,000 trades in cents) and a lot worth about a cent or more.
            var magnitude = (int)Math.Floor(Math.Log10(price));
            Tick = PowerOfTen(Math.Max(magnitude - 6, -8));
            Lot = PowerOfTen(Math.Min(-(magnitude + 1), 0));
            TickValue = (double)Tick;
            LotValue = (double)Lot;
        }

        public string Symbol { get; }

        public decimal Tick { get; }

        public decimal Lot { get; }

        public double TickValue { get; }

        public double LotValue { get; }

        public double Fair { get; set; }

        public DateTimeOffset LastTrade { get; set; }

        public long LastTradeId { get; set; }

        public long LastUpdateId { get; set; }
    }
}
