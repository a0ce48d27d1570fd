namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Keeps one market's REST calls within Binance's request-weight limit: requests go one at a time, each
/// waits while the IP's used weight for the current minute (as the exchange reports it in
/// <c>X-MBX-USED-WEIGHT-1M</c>) plus its own weight would pass the budget, and all wait out a 429/418's
/// <c>Retry-After</c>. Minutes are UTC clock minutes, as Binance counts them. The state is only touched by
/// the request holding the turn.
/// </summary>
internal sealed class RestWeightGate(TimeProvider time, int budgetPerMinute)
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _minute = long.MinValue;
    private int _usedWeight;
    private DateTimeOffset _blockedUntil = DateTimeOffset.MinValue;

    /// <summary>Waits for a turn to send a request of <paramref name="weight"/>; dispose the result after the response.</summary>
    public async Task<IDisposable> AcquireAsync(int weight, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var now = time.GetUtcNow();
                if (now < _blockedUntil)
                {
                    await Task.Delay(_blockedUntil - now, time, cancellationToken);
                    continue;
                }

                var minute = now.ToUnixTimeSeconds() / 60;
                if (minute != _minute)
                {
                    _minute = minute;
                    _usedWeight = 0;
                }

                if (_usedWeight > 0 && _usedWeight + weight > budgetPerMinute)
                {
                    var nextMinute = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
                    await Task.Delay(nextMinute - now, time, cancellationToken);
                    continue;
                }

                _usedWeight += weight;
                return new Turn(_turn);
            }
        }
        catch
        {
            _turn.Release();
            throw;
        }
    }

    /// <summary>Takes the exchange's count of this minute's used weight (it includes other clients on the IP).</summary>
    public void Observe(int usedWeight) => _usedWeight = usedWeight;

    /// <summary>Holds every request until <paramref name="retryAfter"/> has passed (429 too many requests, 418 banned).</summary>
    public void BlockFor(TimeSpan retryAfter)
    {
        var until = time.GetUtcNow() + retryAfter;
        if (until > _blockedUntil)
        {
            _blockedUntil = until;
        }
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }
}
