namespace CryptoPipeline.Ingest.Binance;

/// <summary>The Binance feeds' log messages (source-generated: some run on the hot path).</summary>
internal static partial class BinanceLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} feed starting: {Symbols} symbols, {Streams} streams on {Connections} connections")]
    public static partial void Starting(ILogger logger, string exchange, int symbols, int streams, int connections);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} exchangeInfo failed, retrying in {RetryIn}: {Error}")]
    public static partial void ExchangeInfoFailed(ILogger logger, string exchange, TimeSpan retryIn, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Exchange} exchangeInfo lists no trading USDT pair: the feed subscribes nothing")]
    public static partial void NoUsdtPairs(ILogger logger, string exchange);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} connection {Connection} open to {Uri} for {Streams} streams")]
    public static partial void Connected(ILogger logger, string exchange, string connection, Uri uri, int streams);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} connection {Connection} to {Uri} failed: {Error}")]
    public static partial void ConnectFailed(ILogger logger, string exchange, string connection, Uri uri, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} connection {Connection} ended: {Reason}")]
    public static partial void Disconnected(ILogger logger, string exchange, string connection, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} connection {Old} replaced by {New} before the 24-hour cut")]
    public static partial void Rotated(ILogger logger, string exchange, string old, string @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} replacement connection {Connection} failed, keeping the current one: {Reason}")]
    public static partial void RotationFailed(ILogger logger, string exchange, string connection, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Exchange} connection {Connection}: SUBSCRIBE #{Id} failed, its streams stay silent: {Error}")]
    public static partial void SubscribeFailed(ILogger logger, string exchange, string connection, long id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} {Symbol}: trade ids {FirstId}..{LastId} missing ({Missing} trades), back-filling over REST")]
    public static partial void GapDetected(ILogger logger, string exchange, string symbol, long firstId, long lastId, long missing);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} {Symbol}: gap {FirstId}..{LastId} filled ({Backfilled} trades from REST)")]
    public static partial void GapFilled(ILogger logger, string exchange, string symbol, long firstId, long lastId, int backfilled);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Exchange} {Symbol}: gap {FirstId}..{LastId} cannot be filled: {Reason}")]
    public static partial void GapUnfillable(ILogger logger, string exchange, string symbol, long firstId, long lastId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} REST answered {Status} to {Path}: waiting {RetryAfter} as Retry-After asks")]
    public static partial void RestRateLimited(ILogger logger, string exchange, int status, string path, TimeSpan retryAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} {Symbol}: continuing after trade id {TradeId} ({TradeTime:o}), the last one published before this start")]
    public static partial void Resuming(ILogger logger, string exchange, string symbol, long tradeId, DateTimeOffset tradeTime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange}: cannot read where the symbols stood before this start, retrying in {RetryIn}: {Error}")]
    public static partial void ResumeRetrying(ILogger logger, string exchange, TimeSpan retryIn, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Exchange}: cannot read where the symbols stood before this start ({Error}); starting without, so trades missed while Ingest was not running are not back-filled")]
    public static partial void ResumeFailed(ILogger logger, string exchange, string error);
}
