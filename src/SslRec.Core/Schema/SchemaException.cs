namespace SslRec.Core.Schema;

/// <summary>The schema file is unusable; the message names the file and the offending feature or field.</summary>
public sealed class SchemaException(string schemaFile, string problem) : Exception($"{schemaFile}: {problem}");
