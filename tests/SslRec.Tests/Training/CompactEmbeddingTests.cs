using SslRec.Core.Options;
using SslRec.Core.Statistics;
using SslRec.Core.Vocab;
using SslRec.Training;
using SslRec.Training.Evaluation;
using SslRec.Training.Export;
using SslRec.Training.Loop;
using SslRec.Training.Model;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class CompactEmbeddingTests
{
    private static Vocabulary Counted(long[] counts, int buckets, long oovCount) =>
        new("f", counts.Select((_, i) => $"v{i}").ToList(), counts, buckets, oovCount);

    [Fact]
    public void Mgqe_tiers_follow_frequency_rank_with_missing_in_the_head_and_buckets_by_average_count()
    {
        // 10 values, most frequent first; tiers: first 20% → K 8, next 30% → K 4, the rest → K 2
        var v = Counted([100, 90, 80, 70, 60, 50, 40, 30, 20, 10], buckets: 2, oovCount: 130);
        var k = MgqeTiers.CentroidsById(v, [8, 4, 2], [0.2, 0.3]);
        Assert.Equal(1 + 10 + 2, k.Length);
        Assert.Equal(8, k[0]);                                  // missing / masked
        Assert.Equal([8, 8, 4, 4, 4, 2, 2, 2, 2, 2], k[1..11]);
        Assert.Equal([4, 4], k[11..]);                          // 65 per bucket: below the head's 90, above tier 2's 60
        Assert.Equal([2, 2], MgqeTiers.CentroidsById(Counted([100, 90, 80, 70, 60, 50, 40, 30, 20, 10], 2, 10), [8, 4, 2], [0.2, 0.3])[11..]);
    }

    [Fact]
    public void Mgqe_tiers_rank_by_count_when_partitions_put_ids_out_of_count_order()
    {
        // two vocabulary partitions: ids 1–5 hold counts 100, 80, 60, 40, 20 and ids 6–10 hold 90, 70, 50, 30, 10
        var v = Counted([100, 80, 60, 40, 20, 90, 70, 50, 30, 10], buckets: 2, oovCount: 130);
        var k = MgqeTiers.CentroidsById(v, [8, 4, 2], [0.2, 0.3]);
        // the same tier per count as in one partition: 100, 90 → 8; 80, 70, 60 → 4; the rest → 2
        Assert.Equal([8, 4, 4, 2, 2, 8, 4, 2, 2, 2], k[1..11]);
        Assert.Equal([4, 4], k[11..]);
    }

    [Fact]
    public void Small_vocabularies_keep_a_full_table()
    {
        var o = new TrainingOptions { Embedding = EmbeddingKind.Dpq, DpqCentroids = 16 };
        Assert.False(FeatureEmbeddingPlan.For(Counted(new long[10], 1, 0), o).Quantized);   // 12 rows ≤ 16 centroids
        var plan = FeatureEmbeddingPlan.For(Counted(Enumerable.Repeat(5L, 40).ToArray(), 1, 0), o);
        Assert.True(plan.Quantized);
        Assert.All(plan.CentroidsById!, c => Assert.Equal(16, c));
    }

    private static QuantizedEmbedding Layer(int[] limits, int dim = 8, int groups = 4, DpqRelaxation relaxation = DpqRelaxation.StraightThrough)
    {
        random.manual_seed(3);
        return new QuantizedEmbedding("t", new FeatureEmbeddingPlan(limits.Length, limits), dim, groups, relaxation, temperature: 1.0);
    }

    [Fact]
    public void Codes_and_codebook_alone_reproduce_the_served_embeddings()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        var limits = Enumerable.Range(0, 50).Select(i => i < 10 ? 16 : 4).ToArray();
        using var layer = Layer(limits);
        layer.eval();
        using var codes = layer.Codes();
        Assert.Equal([50L, 4], codes.shape);                        // one code per id and group
        var c = codes.data<long>().ToArray();
        for (var id = 0; id < 50; id++)
            for (var g = 0; g < 4; g++)
                Assert.InRange(c[id * 4 + g], 0, limits[id] - 1);   // rare ids only use their tier's centroids
        using var served = layer.Embed(arange(50, dtype: ScalarType.Int64));
        using var decoded = QuantizedEmbedding.Decode(codes, layer.Codebook());
        Assert.True(served.allclose(decoded));
    }

    [Fact]
    public void Serving_bytes_count_code_bits_per_tier_plus_value_codebooks()
    {
        var limits = Enumerable.Range(0, 100).Select(i => i < 30 ? 16 : 4).ToArray();
        using var layer = Layer(limits);
        // 30 ids × 4 groups × 4 bits + 70 × 4 × 2 bits = 480 + 560 bits = 130 bytes; codebook 4 × 16 × 2 floats = 512 bytes
        Assert.Equal(130 + 512, layer.ServingBytes());
    }

    [Theory]
    [InlineData(DpqRelaxation.StraightThrough)]
    [InlineData(DpqRelaxation.Softmax)]
    public void Gradients_reach_queries_keys_and_values_through_the_discrete_choice(DpqRelaxation relaxation)
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        using var layer = Layer(Enumerable.Repeat(8, 20).ToArray(), relaxation: relaxation);
        layer.train();
        var ids = tensor(new long[] { 1, 5, 5, 9 });
        var output = layer.Embed(ids);
        if (relaxation == DpqRelaxation.StraightThrough)
        {
            // the forward value is the hard choice: exactly the served (eval) embedding
            layer.eval();
            Assert.True(output.allclose(layer.Embed(ids)));
            layer.train();
        }
        output.mul(linspace(-1, 1, 8)).sum().backward();
        var grads = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        Assert.True(grads["query"][5].abs().sum().item<float>() > 0);
        Assert.Equal(0f, grads["query"][2].abs().sum().item<float>());   // ids not in the batch get nothing
        Assert.True(grads["keys"].abs().sum().item<float>() > 0);
        Assert.True(grads["values"].abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Bags_pool_quantized_embeddings_by_their_weights()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        using var layer = Layer(Enumerable.Repeat(8, 20).ToArray());
        layer.eval();
        var ids = tensor(new long[] { 3, 4, 7, 2 });
        var pooled = layer.Pool(ids, tensor(new long[] { 0, 2, 3 }), tensor(new[] { 0.5f, 0.5f, 1f, 1f }));
        var e = layer.Embed(ids);
        Assert.True(pooled[0].allclose(e[0].add(e[1]).div(2)));
        Assert.True(pooled[1].allclose(e[2]));
        Assert.True(pooled[2].allclose(e[3]));
    }

    [Fact]
    public void An_mgqe_model_trains_saves_and_reloads_to_the_same_item_embeddings()
    {
        var data = TinyData.Data;
        var options = TinyData.Options with { Embedding = EmbeddingKind.Mgqe, MgqeCentroids = [16, 8, 4], MgqeTierShares = [0.2, 0.3], DpqGroups = 4, MaxSteps = 15 };
        using var dir = new TempDirectory();
        using var trainer = new Trainer(data, options, CPU, MutualInformation.Compute(data.Items, data.ItemTrainCounts));
        trainer.Train();
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        Assert.NotNull(trainer.Model.ItemTower.Quantized(data.Schema.ItemKeyIndex));       // item ids: quantized
        Assert.True(trainer.Model.ItemTower.EmbeddingServingBytes() < FullBytes(trainer.Model.ItemTower));
        ModelBundle.Save(dir.Path, data, options, trainer.Model);
        // the compact item-tower table alone rebuilds what the tower computes for every item id
        var key = data.Schema.ItemKeyIndex;
        using var table = CompactTables.Read(dir.Path, data.Schema.ItemKey.Name);
        trainer.Model.eval();
        var quantized = trainer.Model.ItemTower.Quantized(key)!;
        using (no_grad())
        using (var served = quantized.Embed(arange(table.shape[0], dtype: ScalarType.Int64)))
            Assert.True(served.allclose(table));
        // one byte per id and group (4 groups) instead of 8 float32s per id
        Assert.Equal(table.shape[0] * 4, new FileInfo(Path.Combine(dir.Path, CompactTables.Folder, data.Schema.ItemKey.Name + ".codes")).Length);
        var (_, _, _, reloaded) = ModelBundle.Load(dir.Path);
        using (reloaded)
        {
            using var a = Embeddings.Encode(trainer.Model.ItemTower, data.Items, CPU);
            using var b = Embeddings.Encode(reloaded.ItemTower, data.Items, CPU);
            Assert.True(a.allclose(b, atol: 1e-6));
        }
    }

    private static long FullBytes(Tower tower) => Enumerable.Range(0, tower.FeatureCount).Sum(f => tower.EmbeddingTable(f).numel() * 4);
}

public class ProductQuantizerTests
{
    [Fact]
    public void Codes_round_trip_and_asymmetric_scores_equal_inner_products_with_decoded_vectors()
    {
        using var scope = NewDisposeScope(); // owns the test's temporaries while libtorch reads them: other tests force collections (README, "Native memory safety")
        random.manual_seed(2);
        using var vectors = randn(500, 8);
        var pq = ProductQuantizer.Fit(vectors, groups: 2, centroids: 16, seed: 3);
        var codes = pq.Encode(vectors);
        Assert.Equal(500 * 2, codes.Length);
        Assert.All(codes, c => Assert.InRange(c, 0, 15));
        using var decoded = pq.Decode(codes);
        // k-means never does worse than the initial centroids; with 16 per 4-dim group the error is well below the variance
        var error = decoded.sub(vectors).pow(2).sum(1).mean().item<float>();
        Assert.InRange(error, 0f, 0.6f * 8);
        // every code is the nearest centroid of its group
        var book = tensor(pq.Codebook, [2, 16, 4]);
        for (var i = 0; i < 20; i++)
            for (var g = 0; g < 2; g++)
            {
                var part = vectors[i].narrow(0, g * 4, 4);
                Assert.Equal(book[g].sub(part).pow(2).sum(1).argmin().item<long>(), codes[i * 2 + g]);
            }

        var query = new[] { 0.5f, -1f, 0.25f, 2f, 0f, 1f, -0.5f, 0.75f };
        var top = pq.TopK(codes, query, 5);
        var exact = decoded.matmul(tensor(query)).data<float>().ToArray();
        var expected = exact.OrderDescending().Take(5).ToArray();   // items with equal codes tie, so compare scores
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i], top[i].Score, 4);
            Assert.Equal(exact[top[i].Index], top[i].Score, 4);
        }
    }

    [Fact]
    public void Compact_files_read_back()
    {
        random.manual_seed(4);
        using var vectors = randn(40, 8);
        var pq = ProductQuantizer.Fit(vectors, groups: 4, centroids: 8);
        var codes = pq.Encode(vectors);
        using var dir = new TempDirectory();
        EmbeddingFiles.Write(dir.Path, vectors, Enumerable.Range(0, 40).Select(i => $"i{i}").ToList());
        EmbeddingFiles.WriteCompact(dir.Path, pq, codes);
        var (back, backCodes, keys) = EmbeddingFiles.ReadCompact(dir.Path);
        Assert.Equal(codes, backCodes);
        Assert.Equal(pq.Codebook, back.Codebook);
        Assert.Equal("i39", keys[^1]);
    }
}
