namespace CryptoPipeline.Contracts;

/// <summary>Where a message came from. Whatever is not live is labelled as such, in the data and in the UI.</summary>
public enum DataSource
{
    Live,
    Replay,
    Simulated,
    Backfill,
}
