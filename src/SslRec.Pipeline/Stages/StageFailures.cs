using SslRec.Core.Reading;
using SslRec.Core.Schema;

namespace SslRec.Pipeline.Stages;

public static class StageFailures
{
    /// <summary>
    /// Errors in the user's data or schema: retrying cannot fix them, so the stage records them on the run
    /// (state failed, message naming file/row/field) and completes the message instead of retrying it.
    /// Everything else (storage hiccups, crashes) propagates, so the host retries and finally poisons it.
    /// </summary>
    public static bool IsDataError(Exception e) => e is DataFormatException or SchemaException or InvalidDataException;
}
