using SslRec.Core.Data;
using SslRec.Core.Vocab;
using SslRec.Pipeline.Storage;

namespace SslRec.Pipeline.Stages;

/// <summary>
/// The partitioned features' values (user ids, the item key) for training: the header carries their sizes only; the values
/// (warm start matches embedding rows by value, the published query tower maps a query's values to ids)
/// are streamed from the partitions' slices, in partition order — which is id order — into compact
/// vocabularies (<see cref="Vocabulary.Builder"/>), one slice in flight at a time.
/// </summary>
public static class VocabularySlices
{
    public static async Task<DatasetHeader> WithValuesAsync(BlobStore blobs, string runId, DatasetHeader header, CancellationToken ct)
    {
        var layout = header.Partitions;
        if (layout.Features.All(f => header.Vocabularies[f].HasValues)) return header;
        var builders = layout.Features.Select(f => new Vocabulary.Builder(header.Schema.All[f].Name, header.Vocabularies[f].OovBuckets)).ToArray();
        for (var k = 0; k < layout.Count; k++)
        {
            var blob = BlobLayout.VocabularySlice(runId, k);
            var read = await blobs.TryReadAsync(BlobLayout.Artifacts, blob, s => { PartitionFormat.ReadSlice(s, builders); return blob; }, ct);
            if (read is null) throw new InvalidDataException($"{BlobLayout.Artifacts}/{blob} is missing");
        }
        var vocabularies = header.Vocabularies.ToArray();
        for (var j = 0; j < builders.Length; j++)
        {
            var f = layout.Features[j];
            var built = builders[j].Build();
            if (built.Kept != vocabularies[f].Kept || built.OovCount != vocabularies[f].OovCount)
                throw new InvalidDataException($"vocabulary '{built.Feature}': the slices hold {built.Kept} values, the header {vocabularies[f].Kept}");
            vocabularies[f] = built;
        }
        // a query feature tied to a partitioned one (a link's source node, tied to the item key) shares its object
        for (var f = 0; f < header.Schema.Query.Count; f++)
            if (header.Schema.TableOwner(f) is var owner && owner != f) vocabularies[f] = vocabularies[owner];
        return new DatasetHeader
        {
            Schema = header.Schema, Vocabularies = vocabularies, Partitions = layout, Items = header.Items,
            ItemKeys = header.ItemKeys, ItemTrainCounts = header.ItemTrainCounts, Report = header.Report,
        };
    }
}
