namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>
/// What can go wrong with a <see cref="FakeBinanceServer"/>, switched on by the test at any time: the replay
/// reads these as it sends each frame, REST as it answers each request.
/// </summary>
public sealed class FakeBinanceFaults
{
    private readonly Lock _lock = new();
    private readonly List<(string Symbol, long FirstId, long LastId)> _skipped = [];
    private readonly Dictionary<string, long> _forgotten = new(StringComparer.Ordinal);
    private (string Symbol, long TradeId)? _dropAfter;
    private (int Count, int Status, TimeSpan RetryAfter) _rejections;

    /// <summary>Every n-th trade frame goes out twice (0: never).</summary>
    public int DuplicateEveryNthTrade { get; set; }

    /// <summary>Every n-th trade frame goes out after the next trade frame (0: never).</summary>
    public int SwapEveryNthTrade { get; set; }

    /// <summary>Added to the weight REST announces in <c>X-MBX-USED-WEIGHT-1M</c>, as other clients on the IP would.</summary>
    public int ExtraUsedWeight { get; set; }

    /// <summary>When set, requests that would take the minute's used weight past this answer 429 with Retry-After.</summary>
    public int? WeightLimitPerMinute { get; set; }

    /// <summary>After the socket sent this trade, every connection is dropped without a closing handshake (once).</summary>
    public void DropConnectionsAfter(string symbol, long tradeId)
    {
        lock (_lock)
        {
            _dropAfter = (symbol, tradeId);
        }
    }

    /// <summary>These trades never go out on the socket; the market still moves past them and REST serves them.</summary>
    public void SkipOnSocket(string symbol, long firstId, long lastId)
    {
        lock (_lock)
        {
            _skipped.Add((symbol, firstId, lastId));
        }
    }

    /// <summary>
    /// <c>historicalTrades</c> and <c>trades</c> no longer serve <paramref name="symbol"/>'s trades up to
    /// <paramref name="throughId"/>, as an exchange that has dropped its oldest trades: a request from an older id is
    /// answered from the oldest trade still kept.
    /// </summary>
    public void ForgetOnRest(string symbol, long throughId)
    {
        lock (_lock)
        {
            _forgotten[symbol] = throughId;
        }
    }

    /// <summary>The next <paramref name="count"/> REST requests answer <paramref name="status"/> (429, or 418 for a ban) with Retry-After.</summary>
    public void RejectRestRequests(int count, TimeSpan retryAfter, int status = 429)
    {
        lock (_lock)
        {
            _rejections = (count, status, retryAfter);
        }
    }

    internal bool IsSkipped(RecordedTrade trade)
    {
        lock (_lock)
        {
            return _skipped.Exists(s => s.Symbol == trade.Symbol && trade.Id >= s.FirstId && trade.Id <= s.LastId);
        }
    }

    /// <summary>The highest id of <paramref name="symbol"/> REST no longer serves, or null.</summary>
    internal long? ForgottenThrough(string symbol)
    {
        lock (_lock)
        {
            return _forgotten.TryGetValue(symbol, out var throughId) ? throughId : null;
        }
    }

    internal bool TakeDropAfter(RecordedTrade trade)
    {
        lock (_lock)
        {
            if (_dropAfter is { } drop && drop.Symbol == trade.Symbol && drop.TradeId == trade.Id)
            {
                _dropAfter = null;
                return true;
            }

            return false;
        }
    }

    internal (int Status, TimeSpan RetryAfter)? TakeRejection()
    {
        lock (_lock)
        {
            if (_rejections.Count <= 0)
            {
                return null;
            }

            _rejections.Count--;
            return (_rejections.Status, _rejections.RetryAfter);
        }
    }
}
