using System.Runtime.InteropServices;

namespace CryptoPipeline.EmbeddedKafka.Native;

/// <summary>
/// The subset of librdkafka's <c>rdkafka.h</c> and <c>rdkafka_mock.h</c> (2.15) the embedded
/// cluster uses. Every <c>rd_kafka_mock_*</c> call is thread-safe: it either posts a command to
/// the mock cluster's own thread and waits for it, or takes the cluster's lock.
/// </summary>
internal static unsafe partial class MockClusterApi
{
    public const int ProducerType = 0;
    public const int ConfOk = 0;

    static MockClusterApi() => Librdkafka.EnsureResolver();

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(Librdkafka.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial IntPtr rd_kafka_new(int type, IntPtr conf, byte* errstr, nuint errstrSize);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr cluster);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);

    [LibraryImport(Librdkafka.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [LibraryImport(Librdkafka.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void rd_kafka_mock_topic_set_error(IntPtr cluster, string topic, int error);

    [LibraryImport(Librdkafka.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_partition_delete_records(IntPtr cluster, string topic, int partition, long beforeOffset);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_down(IntPtr cluster, int brokerId);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_up(IntPtr cluster, int brokerId);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_rtt(IntPtr cluster, int brokerId, int rttMs);

    // The array variant: the va_list variant of the same function cannot be called portably from .NET.
    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_mock_push_request_errors_array(IntPtr cluster, short apiKey, nuint count, int* errors);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_mock_clear_request_errors(IntPtr cluster, short apiKey);

    [LibraryImport(Librdkafka.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_coordinator_set(IntPtr cluster, string keyType, string key, int brokerId);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_mock_set_controller_id(IntPtr cluster, int brokerId);

    [LibraryImport(Librdkafka.LibraryName)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(IntPtr cluster, int delayMs);
}
