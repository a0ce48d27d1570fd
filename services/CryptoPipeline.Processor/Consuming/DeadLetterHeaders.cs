namespace CryptoPipeline.Processor.Consuming;

/// <summary>
/// Headers the processor adds to a message it dead-letters to <c>&lt;topic&gt;.dlq</c> (DESIGN.md §3), next to
/// the original key, value and headers. Values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>Why the message was not processed, for people: the field and value that failed, or the lateness.</summary>
    public const string Error = "cp-error";

    /// <summary><see cref="Unparseable"/> or <see cref="TooLate"/>, for tools.</summary>
    public const string Reason = "cp-error-reason";

    public const string SourceTopic = "cp-source-topic";

    public const string SourcePartition = "cp-source-partition";

    public const string SourceOffset = "cp-source-offset";

    /// <summary>The message is not a valid trade, quote or price tick (or carries an unknown control message).</summary>
    public const string Unparseable = "unparseable";

    /// <summary>A trade whose minute ended more than <c>Processor:HardLatenessBound</c> before the watermark.</summary>
    public const string TooLate = "too-late";
}
