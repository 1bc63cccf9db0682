using System.Text;

namespace SslRec.Pipeline.Messages;

/// <summary>
/// The text of a queue message, whoever wrote it. SslRec and Event Grid write base64; `az storage message
/// put` and the portal write the JSON as it is. The hosts hand functions the raw text (host.json
/// messageEncoding "none"), and this decodes base64 only when the text is not already JSON, so a message
/// written by hand is handled instead of being poisoned on its first dequeue.
/// </summary>
public static class QueueText
{
    public static string Decode(string raw)
    {
        var trimmed = raw.AsSpan().Trim();
        if (trimmed.Length == 0 || trimmed[0] is '{' or '[') return raw;
        var bytes = new byte[trimmed.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(trimmed, bytes, out var written)) return raw;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return raw; // not base64 of text after all: the parser reports it as it is
        }
    }
}
