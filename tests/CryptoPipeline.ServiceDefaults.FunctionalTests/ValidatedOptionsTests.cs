using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

public class ValidatedOptionsTests
{
    [Fact]
    public async Task Start_fails_with_messages_naming_each_bad_key_and_its_value()
    {
        using var host = BuildHost(new() { ["Kafka:Partitions"] = "0", ["Kafka:SchemaRegistryUrl"] = "registry", ["Kafka:Linger"] = "-1" });

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(
            [
                "Kafka:Partitions must be between 1 and 1000, got 0",
                "Kafka:Topic is required",
                "The Kafka:SchemaRegistryUrl field is not a valid fully-qualified http, https, or ftp URL. (got 'registry')",
                "Kafka:Linger must be between 0 and 5000, got -1",
            ],
            thrown.Failures);
    }

    [Fact]
    public async Task Cross_field_rule_failure_names_the_section()
    {
        using var host = BuildHost(new() { ["Kafka:Topic"] = "raw_trades", ["Kafka:MinBatchSize"] = "500", ["Kafka:MaxBatchSize"] = "100" });

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal("Kafka: MaxBatchSize (100) must not be below MinBatchSize (500)", Assert.Single(thrown.Failures));
    }

    [Fact]
    public async Task Value_that_does_not_convert_fails_naming_the_key()
    {
        using var host = BuildHost(new() { ["Kafka:Topic"] = "raw_trades", ["Kafka:Partitions"] = "many" });

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("'Kafka:Partitions'", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_section_binds_and_the_host_starts()
    {
        using var host = BuildHost(new() { ["Kafka:Topic"] = "raw_trades", ["Kafka:Partitions"] = "12" });

        await host.StartAsync(TestContext.Current.CancellationToken);
        var options = host.Services.GetRequiredService<IOptions<KafkaSettings>>().Value;
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(12, options.Partitions);
        Assert.Equal("raw_trades", options.Topic);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddValidatedOptions<KafkaSettings>(builder.Configuration, "Kafka");
        return builder.Build();
    }

    private sealed class KafkaSettings : IValidatableObject
    {
        [Range(1, 1000)]
        public int Partitions { get; set; } = 6;

        [Required]
        public string? Topic { get; set; }

        [Url]
        public string? SchemaRegistryUrl { get; set; }

        [ConfigurationKeyName("Linger")]
        [Range(0, 5000)]
        public int LingerMs { get; set; } = 5;

        public int MinBatchSize { get; set; } = 1;

        public int MaxBatchSize { get; set; } = 1000;

        public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        {
            if (MaxBatchSize < MinBatchSize)
            {
                yield return new ValidationResult($"MaxBatchSize ({MaxBatchSize}) must not be below MinBatchSize ({MinBatchSize})");
            }
        }
    }
}
