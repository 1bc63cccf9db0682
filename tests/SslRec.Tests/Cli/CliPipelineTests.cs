using Microsoft.Extensions.Hosting;
using SslRec.Core.Options;
using SslRec.Core.Synthetic;
using SslRec.LocalHost;
using SslRec.Pipeline;
using SslRec.Pipeline.Settings;
using SslRec.Pipeline.Runs;
using SslRec.Tests.Pipeline;
using SslRec.Tests.Training;
using SslRec.Worker;

namespace SslRec.Tests.Cli;

[Collection("azurite")]
public class CliPipelineTests(AzuriteFixture azurite)
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public async Task Drop_status_and_recommend_work_against_the_published_embeddings()
    {
        using var dir = new TempDirectory();
        await azurite.FreshContextAsync();
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            var data = dir.Sub("data");
            SyntheticGenerator.Generate(data, new SyntheticOptions { Interactions = 2000, Items = 60, Seed = 6 });
            var drop = Run("drop", data, "--dataset", "cli", "--version", "v1");
            Assert.True(drop.Code == 0, drop.Err);
            Assert.Contains("run cli@v1", drop.Out);
            Assert.Equal(2, Run("drop", data, "--dataset", "cli", "--version", "v1").Code); // a complete version is never overwritten

            var ctx = PipelineContext.Create(azurite.Storage);
            using (var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, ctx.Options), new TorchModelTrainer(TinyData.Options with { Epochs = 1 }, "cpu"), AzuriteFixture.FastHostJson(dir)))
            {
                await host.StartAsync();
                Assert.Equal(RunState.Published, (await RunWatcher.WaitAsync(ctx.Runs, "cli@v1", TimeSpan.FromMinutes(3))).State);
                await host.StopAsync();
            }

            var status = Run("status");
            Assert.Contains("cli@v1", status.Out);
            Assert.Contains("Published", status.Out);
            var details = Run("status", "--run", "cli@v1");
            Assert.Contains("shard-reduce", details.Out);
            Assert.Contains("gate     passed", details.Out);

            var rec = Run("recommend", "--model", "cli", "--query", "user_id=u00001,history=b001|b002", "-k", "5");
            Assert.True(rec.Code == 0, rec.Err);
            var ranked = rec.Out.Split('\n').Where(l => l.TrimStart().Length > 2 && char.IsDigit(l.TrimStart()[0])).ToList();
            Assert.Equal(5, ranked.Count);
            Assert.All(ranked, l => Assert.Matches(@"^\s*\d+\. i\d{5}\s+-?\d\.\d{4}$", l.TrimEnd()));

            // the product-quantized vectors were published too; with 60 items and 256 centroids per group
            // they are nearly exact, so the compact ranking agrees with the float32 one at the top
            var compact = Run("recommend", "--model", "cli", "--query", "user_id=u00001,history=b001|b002", "-k", "5", "--compact");
            Assert.True(compact.Code == 0, compact.Err);
            Assert.Contains("product-quantized", compact.Out);
            var compactRanked = compact.Out.Split('\n').Where(l => l.TrimStart().Length > 2 && char.IsDigit(l.TrimStart()[0])).ToList();
            Assert.Equal(5, compactRanked.Count);
            Assert.Equal(ranked[0].Split('.')[1].Trim().Split(' ')[0], compactRanked[0].Split('.')[1].Trim().Split(' ')[0]);

            var bad = Run("recommend", "--model", "cli", "--query", "colour=red");
            Assert.Equal(2, bad.Code);
            Assert.Contains("unknown field 'colour'", bad.Err);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }

    [Fact]
    public async Task Same_entity_data_with_tied_quantized_tables_goes_through_the_pipeline_and_serves_queries()
    {
        using var dir = new TempDirectory();
        await azurite.FreshContextAsync();
        Environment.SetEnvironmentVariable("AzureWebJobsStorage", azurite.Azurite.ConnectionString);
        try
        {
            var data = dir.Sub("links");
            LinkPredictionGenerator.Generate(data, new SyntheticOptions { Interactions = 2000, Items = 100, Seed = 7 });
            Assert.Equal(0, Run("drop", data, "--dataset", "links", "--version", "v1").Code);
            var options = TinyData.Options with { Epochs = 1, Embedding = EmbeddingKind.Mgqe, DpqGroups = 4, MgqeCentroids = [16, 4], MgqeTierShares = [0.2] };
            var ctx = PipelineContext.Create(azurite.Storage);
            using (var host = LocalPipelineHost.Build(PipelineSettings.Local(azurite.Storage, ctx.Options), new TorchModelTrainer(options, "cpu"), AzuriteFixture.FastHostJson(dir)))
            {
                await host.StartAsync();
                Assert.Equal(RunState.Published, (await RunWatcher.WaitAsync(ctx.Runs, "links@v1", TimeSpan.FromMinutes(3))).State);
                await host.StopAsync();
            }
            // the published query tower encodes a source page with the tables it shares with the item tower
            foreach (var extra in new[] { Array.Empty<string>(), ["--compact"] })
            {
                var rec = Run(["recommend", "--model", "links", "--query", "src_page=p00003,src_category=c000,src_words=w0_1", "-k", "3", .. extra]);
                Assert.True(rec.Code == 0, rec.Err);
                Assert.Equal(3, rec.Out.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s*\d+\. p\d{5}\s")));
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("AzureWebJobsStorage", null);
        }
    }
}
