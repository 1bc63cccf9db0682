namespace SslRec.Pipeline.Messages;

/// <summary>
/// One delivery of a queue message to a stage: its decoded text, the queue's id for it, how many times it
/// has been received (this one included) and when this delivery was received (an execution's time budget
/// counts from it).
/// </summary>
public sealed record QueueDelivery(string Text, string MessageId, long DequeueCount, DateTimeOffset ReceivedAt);
