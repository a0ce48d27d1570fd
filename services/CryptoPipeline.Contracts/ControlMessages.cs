namespace CryptoPipeline.Contracts;

/// <summary>
/// Control messages travel on the data topics so they stay ordered with the data: a message with
/// the <see cref="KindHeader"/> header carries no trade, quote or tick and is not parsed as one.
/// </summary>
public static class ControlMessages
{
    /// <summary>Header naming the control message's kind; its value is UTF-8 text.</summary>
    public const string KindHeader = "cp-control";

    /// <summary>
    /// A bounded input (a replay) has ended: the producer sends one to EVERY partition of the topic
    /// after its last message, and the processor finalizes the windows of that partition.
    /// </summary>
    public const string EndOfInput = "end-of-input";
}
