using System.Text.Json.Serialization;

namespace SslRec.Training.Loop;

/// <summary>One step's losses (main batch softmax, SSL InfoNCE, spread-out) and their weighted total.</summary>
public sealed record LossRecord(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("total")] double Total,
    [property: JsonPropertyName("main")] double Main,
    [property: JsonPropertyName("ssl")] double Ssl,
    [property: JsonPropertyName("spread_out")] double SpreadOut);

/// <summary>Where training stands: saved in every checkpoint next to the weights and optimizer state.</summary>
public sealed class TrainingState
{
    [JsonPropertyName("step")] public int Step { get; set; }
    [JsonPropertyName("total_steps")] public int TotalSteps { get; set; }
    [JsonPropertyName("fingerprint")] public string Fingerprint { get; set; } = "";
    [JsonPropertyName("examples_seen")] public long ExamplesSeen { get; set; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; set; }
    [JsonPropertyName("losses")] public List<LossRecord> Losses { get; set; } = [];
}

/// <summary>A progress report after a training step.</summary>
/// <param name="TotalSteps">the step this training stops at: every epoch's, or MaxSteps when that is fewer</param>
/// <param name="ResumedFromStep">the checkpoint step this training continued from (0: it started fresh)</param>
public sealed record TrainingProgress(int Step, int TotalSteps, int Epoch, double Loss, double ExamplesPerSecond, int ResumedFromStep);
