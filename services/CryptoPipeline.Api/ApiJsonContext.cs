using System.Text.Json;
using System.Text.Json.Serialization;

namespace CryptoPipeline.Api;

/// <summary>
/// Source-generated serialization of the responses: a day of 1-minute candles is about 20,000 numbers, which the
/// generated writers produce several times faster than reflection. Options match ASP.NET Core's web defaults, so
/// the wire format (camelCase names, decimals written exactly) is the same either way.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CandlesResponse))]
[JsonSerializable(typeof(List<SymbolRow>))]
[JsonSerializable(typeof(List<TickerRow>))]
[JsonSerializable(typeof(StatisticsResponse))]
[JsonSerializable(typeof(HourlyStatisticsResponse))]
[JsonSerializable(typeof(PipelineStatus))]
[JsonSerializable(typeof(CandleEvent))]
[JsonSerializable(typeof(TickEvent))]
[JsonSerializable(typeof(StreamHello))]
[JsonSerializable(typeof(StreamHeartbeat))]
[JsonSerializable(typeof(CompatibleHealth))]
[JsonSerializable(typeof(TransactionCounts))]
[JsonSerializable(typeof(TradeVolumes))]
[JsonSerializable(typeof(HourlyStats))]
[JsonSerializable(typeof(TransactionsInLastMinutes))]
[JsonSerializable(typeof(TopSymbols))]
[JsonSerializable(typeof(CurrentPrice))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
