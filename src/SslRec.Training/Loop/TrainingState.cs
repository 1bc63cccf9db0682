using System.Text.Json.Serialization;
using SslRec.Core.Metrics;

namespace SslRec.Training.Loop;

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
