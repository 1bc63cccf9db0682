namespace SslRec.Pipeline.Messages;

/// <summary>
/// The work this message asks for is already held by another message, which finishes it: the message is
/// deleted as a duplicate. Not a failure (it does not count toward the poison threshold).
/// </summary>
public sealed class DuplicateMessageException(string message) : Exception(message);
