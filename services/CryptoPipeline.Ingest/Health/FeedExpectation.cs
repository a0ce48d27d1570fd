namespace CryptoPipeline.Ingest.Health;

/// <summary>
/// A feed that should keep producing: the <c>ingest-feeds</c> health check turns Degraded when
/// nothing of <paramref name="Exchange"/> arrived on any of <paramref name="Topics"/> for longer than
/// <paramref name="MaxSilence"/>. Registered in the container for each configured live source; a bounded
/// source (replay) registers none, since it ends on purpose.
/// </summary>
public sealed record FeedExpectation(string Feed, string Exchange, IReadOnlyList<string> Topics, TimeSpan MaxSilence);
