using System.Text.Json.Serialization;

namespace SslRec.Core.Metrics;

/// <summary>One step's losses (main batch softmax, SSL InfoNCE, spread-out) and their weighted total.</summary>
public sealed record LossRecord(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("total")] double Total,
    [property: JsonPropertyName("main")] double Main,
    [property: JsonPropertyName("ssl")] double Ssl,
    [property: JsonPropertyName("spread_out")] double SpreadOut);
