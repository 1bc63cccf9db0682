namespace SslRec.Core.Vocab;

/// <summary>Maps a value's text to an id (0 for an empty value).</summary>
public interface IIdMapper
{
    int IdOf(ReadOnlySpan<char> value);
}
