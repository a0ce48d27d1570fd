using System.Globalization;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Processor.Consuming;

/// <summary>
/// Sends messages the processor cannot use to <c>&lt;topic&gt;.dlq</c>, and waits until Kafka has them before
/// the batch commits: a crash between the two sends a dead letter twice at worst, never loses one.
/// </summary>
internal sealed class DeadLetterPublisher(IProducer<byte[]?, byte[]?> producer, TimeSpan deliveryTimeout) : IDisposable
{
    private readonly List<string> _failures = [];
    private int _outstanding;

    public void Publish(ConsumeResult<byte[]?, byte[]?> source, string reason, string error)
    {
        var headers = new Headers();
        if (source.Message.Headers is { } original)
        {
            foreach (var header in original)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add(DeadLetterHeaders.Error, Encoding.UTF8.GetBytes(error));
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes(reason));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(DeadLetterHeaders.SourcePartition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.SourceOffset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        var message = new Message<byte[]?, byte[]?> { Key = source.Message.Key, Value = source.Message.Value, Headers = headers };

        Interlocked.Increment(ref _outstanding);
        producer.Produce(Topics.DeadLetter(source.Topic), message, report =>
        {
            if (report.Error.IsError)
            {
                lock (_failures)
                {
                    _failures.Add($"{report.Topic}: {report.Error.Reason}");
                }
            }

            Interlocked.Decrement(ref _outstanding);
        });
    }

    /// <summary>Waits for every dead letter published since the last call.</summary>
    /// <exception cref="KafkaException">Kafka did not take them all.</exception>
    public void WaitForDelivery()
    {
        if (Volatile.Read(ref _outstanding) == 0 && _failures.Count == 0)
        {
            return;
        }

        var pending = producer.Flush(deliveryTimeout);
        string? failure;
        lock (_failures)
        {
            failure = _failures.Count > 0 ? string.Join("; ", _failures.Distinct()) : null;
            _failures.Clear();
        }

        if (pending > 0 || failure is not null)
        {
            throw new KafkaException(new Error(
                ErrorCode.Local_MsgTimedOut,
                $"Dead letters not delivered ({pending} still pending after {deliveryTimeout.TotalSeconds:0.#} s){(failure is null ? "" : ": " + failure)}"));
        }
    }

    public void Dispose() => producer.Dispose();
}
