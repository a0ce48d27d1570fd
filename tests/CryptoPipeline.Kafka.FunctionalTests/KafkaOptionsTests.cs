using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Kafka.FunctionalTests;

public sealed class KafkaOptionsTests
{
    [Fact]
    public async Task Missing_kafka_connection_string_stops_start_up_with_a_message_naming_it()
    {
        using var host = Build(new() { ["Kafka:Partitions"] = "6" });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ConnectionStrings:kafka", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__kafka", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_settings_are_reported_with_their_keys_and_values()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:kafka"] = "broker1:9092,broker2",
            ["Kafka:Partitions"] = "0",
            ["Kafka:ReplicationFactor"] = "0",
        });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("ConnectionStrings:kafka = 'broker1:9092,broker2' is invalid: 'broker2'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:Partitions = 0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Kafka:ReplicationFactor = 0", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_string_and_Kafka_section_make_idempotent_producers_and_manually_committing_consumers()
    {
        using var host = Build(new()
        {
            ["ConnectionStrings:kafka"] = "broker1:9092,PLAINTEXT://[::1]:9093",
            ["Kafka:Partitions"] = "12",
            ["Kafka:LingerMs"] = "20",
        });

        var options = host.Services.GetRequiredService<IOptions<KafkaOptions>>().Value;
        var producer = options.CreateProducerConfig();
        var consumer = options.CreateConsumerConfig("processor");

        Assert.Equal(12, options.Partitions);
        Assert.Equal("kafka-options-tests", options.ClientId);
        Assert.Equal("broker1:9092,PLAINTEXT://[::1]:9093", producer.BootstrapServers);
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal(20, producer.LingerMs);
        Assert.Equal("processor", consumer.GroupId);
        Assert.False(consumer.EnableAutoCommit);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal("broker1:9092,PLAINTEXT://[::1]:9093", consumer.BootstrapServers);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "kafka-options-tests" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddKafkaClients();
        return builder.Build();
    }
}
