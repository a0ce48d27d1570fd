using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>A trade or a quote to replay, with the recorded time that paces it.</summary>
internal readonly record struct ReplayRecord(DateTimeOffset At, Trade? Trade, Quote? Quote);
