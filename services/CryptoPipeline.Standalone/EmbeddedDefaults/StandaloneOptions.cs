namespace CryptoPipeline.Standalone.EmbeddedDefaults;

/// <summary>Settings of the embedded defaults (section <c>Standalone</c>).</summary>
public sealed class StandaloneOptions
{
    public const string SectionName = "Standalone";

    /// <summary>
    /// Where Standalone keeps its private PostgreSQL between runs (<c>postgres/</c> below it).
    /// Default: <c>$XDG_DATA_HOME/cryptopipeline</c> or <c>~/.local/share/cryptopipeline</c>; for root
    /// <c>/var/lib/cryptopipeline</c>, because the server runs as the <c>postgres</c> user, which
    /// cannot enter <c>/root</c>.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>Loopback port of the private PostgreSQL; 0 picks a free one at every start.</summary>
    public int PostgresPort { get; set; }

    /// <summary>Brokers of the embedded Kafka cluster.</summary>
    public int KafkaBrokers { get; set; } = 1;

    /// <summary>
    /// How long Standalone tries to open a connection to the exchange before it calls it unreachable (and, unless a
    /// source was chosen, runs the simulated market instead).
    /// </summary>
    public TimeSpan ExchangeProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often Standalone deletes from the embedded Kafka cluster what the processor has committed to PostgreSQL.</summary>
    public TimeSpan KafkaTrimInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The newest messages of each partition the embedded cluster keeps even once committed, for attached tools.</summary>
    public int KafkaKeepMessages { get; set; } = 1_000;

    /// <summary>The section, validated: throws with the key and the bad value.</summary>
    public static StandaloneOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(SectionName).Get<StandaloneOptions>() ?? new StandaloneOptions();
        options.Validate();
        return options;
    }

    public string ResolveDataDirectory()
    {
        if (!string.IsNullOrWhiteSpace(DataDirectory))
        {
            return Path.GetFullPath(DataDirectory);
        }

        if (Environment.UserName == "root")
        {
            return "/var/lib/cryptopipeline";
        }

        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Combine(dataHome, "cryptopipeline");
    }

    /// <summary>Throws with the key and the bad value; runs before anything starts.</summary>
    public void Validate()
    {
        if (PostgresPort is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(PostgresPort)} must be between 0 and 65535, got {PostgresPort}.");
        }

        if (KafkaBrokers is < 1 or > 9)
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(KafkaBrokers)} must be between 1 and 9, got {KafkaBrokers}.");
        }

        if (KafkaTrimInterval < TimeSpan.FromSeconds(1) || KafkaTrimInterval > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(KafkaTrimInterval)} must be between 00:00:01 and 01:00:00, got {KafkaTrimInterval}.");
        }

        if (KafkaKeepMessages is < 0 or > 100_000)
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(KafkaKeepMessages)} must be between 0 and 100000, got {KafkaKeepMessages}.");
        }

        if (ExchangeProbeTimeout <= TimeSpan.Zero || ExchangeProbeTimeout > TimeSpan.FromMinutes(5))
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(ExchangeProbeTimeout)} must be between 00:00:00.001 and 00:05:00, got {ExchangeProbeTimeout}.");
        }
    }
}
