using System.Text.Json;
using SslRec.Core.Ssl;
using SslRec.Core.Statistics;

namespace SslRec.Core.Artifacts;

/// <summary>feature_mi.json: the mutual information (nats) between item features, and the CFM mask set of each seed feature.</summary>
public static class FeatureMutualInformationFile
{
    public static string Json(ItemFeatureStatistics items)
    {
        var names = items.FeatureNames.ToArray();
        var mi = items.MutualInformation;
        var matrix = Enumerable.Range(0, names.Length).Select(i => Enumerable.Range(0, names.Length).Select(j => Math.Round(mi[i, j], 6)).ToArray()).ToArray();
        var sets = names.Length >= 2 ? CorrelatedFeatureMasking.MaskSets(mi) : [];
        var groups = Enumerable.Range(0, sets.Length).ToDictionary(s => names[s], s => sets[s].Select(f => names[f]).ToArray());
        return JsonSerializer.Serialize(new { features = names, mutual_information_nats = matrix, cfm_mask_sets_by_seed = groups },
            new JsonSerializerOptions { WriteIndented = true });
    }
}
