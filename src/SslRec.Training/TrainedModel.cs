using SslRec.Core.Options;
using SslRec.Training.Loop;
using SslRec.Training.Model;

namespace SslRec.Training;

/// <summary>
/// What training produces: the model, the options it was trained with, and where training stands — its
/// steps, examples, time and loss history. What evaluation and the output writer read; the trainer that
/// made it owns the model and disposes it.
/// </summary>
public sealed record TrainedModel(TwoTowerModel Model, TrainingOptions Options, TrainingState State);
