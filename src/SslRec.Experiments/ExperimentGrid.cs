using SslRec.Core.Options;
using SslRec.Training;
using SslRec.Training.Model;

namespace SslRec.Experiments;

/// <summary>
/// The paper's studies (Yao et al. 2021, RQ1–RQ4) as a grid. "quick" fits about half an hour on 2 CPU
/// cores with the generated demo data: RQ1 and RQ2 with every seed, the sweeps of RQ3 and RQ4 with the
/// first seed only (the report says so). "paper" runs every study with every seed and wider sweeps.
/// </summary>
public static class ExperimentGrid
{
    public const string Rq1 = "RQ1 methods";
    public const string Rq2 = "RQ2 data sparsity";
    public const string Rq3Alpha = "RQ3 SSL weight α";
    public const string Rq3Tau = "RQ3 SSL temperature τ_ssl";
    public const string Rq3Batch = "RQ3 SSL batch size";
    public const string Rq4 = "RQ4 masking and SSL item sampling";
    public const string Compact = "Compact embeddings (DPQ / MGQE)";
    public const string Ties = "Tied embeddings (shared query/item tables)";

    /// <param name="hasTies">the schema ties query features to item features: add the tied-vs-untied study</param>
    public static List<StudyEntry> Build(string grid, int seeds, TrainingOptions baseOptions, bool hasTies = false)
    {
        if (grid is not ("quick" or "paper")) throw new ArgumentException($"--grid must be quick or paper (got '{grid}')");
        if (seeds < 1) throw new ArgumentException("--seeds must be at least 1");
        var paper = grid == "paper";
        var all = Enumerable.Range(1, seeds).Select(s => (ulong)s).ToArray();
        var sweepSeeds = paper ? all : all.Take(1).ToArray();
        var entries = new List<StudyEntry>();
        var cfm = baseOptions with { Ssl = SslMode.Cfm };

        ExperimentCell Cell(string method, TrainingOptions o, double fraction, ulong seed) => new(method, o with { Seed = seed }, fraction);

        var methods = new (string Name, TrainingOptions Options)[]
        {
            ("baseline", baseOptions with { Ssl = SslMode.None, SpreadOut = 0 }),
            ("spread-out", baseOptions with { Ssl = SslMode.None, SpreadOut = 0.1 }),
            ("fd", baseOptions with { Ssl = SslMode.Fd }),
            ("rfm", baseOptions with { Ssl = SslMode.Rfm }),
            ("cfm", cfm),
        };
        foreach (var (name, o) in methods)
            foreach (var s in all) entries.Add(new StudyEntry(Rq1, name, Cell(name, o, 1, s)));

        // Less data, same training budget: a fraction f trains for epochs / f passes, so every run takes
        // about as many optimiser steps as the full-data run and differences come from the data alone.
        foreach (var fraction in new[] { 0.1, 0.25, 0.5, 1.0 })
            foreach (var (name, o) in methods.Where(m => m.Name is "baseline" or "cfm"))
                foreach (var s in all)
                    entries.Add(new StudyEntry(Rq2, $"{name} @ {fraction:P0}", Cell(name, o with { Epochs = (int)Math.Round(o.Epochs / fraction) }, fraction, s)));

        double[] alphas = paper ? [0.01, 0.03, 0.1, 0.3, 1, 3, 10] : [0.03, 0.1, 0.3, 1, 3];
        foreach (var a in alphas)
            foreach (var s in sweepSeeds) entries.Add(new StudyEntry(Rq3Alpha, $"α={a}", Cell("cfm", cfm with { Alpha = a }, 1, s)));
        double[] taus = paper ? [0.02, 0.05, 0.1, 0.2, 0.5, 1] : [0.05, 0.1, 0.2, 0.5];
        foreach (var t in taus)
            foreach (var s in sweepSeeds) entries.Add(new StudyEntry(Rq3Tau, $"τ_ssl={t}", Cell("cfm", cfm with { SslTau = t }, 1, s)));
        int[] batches = paper ? [128, 256, 512, 1024, 2048] : [256, 512, 1024];
        foreach (var b in batches)
            foreach (var s in sweepSeeds) entries.Add(new StudyEntry(Rq3Batch, $"SSL batch {b}", Cell("cfm", cfm with { SslBatchSize = b }, 1, s)));

        foreach (var s in all) entries.Add(new StudyEntry(Rq4, "baseline", Cell("baseline", methods[0].Options, 1, s)));
        foreach (var s in all) entries.Add(new StudyEntry(Rq4, "rfm, uniform items", Cell("rfm", methods[3].Options, 1, s)));
        foreach (var s in all) entries.Add(new StudyEntry(Rq4, "cfm, uniform items", Cell("cfm", cfm, 1, s)));
        foreach (var (sampling, label) in new[] { (SslSampling.Train, "cfm, training distribution"), (SslSampling.Mix, "cfm, 50/50 mix") })
            foreach (var s in sweepSeeds) entries.Add(new StudyEntry(Rq4, label, Cell("cfm", cfm with { SslSampling = sampling }, 1, s)));

        // Kang et al. 2020 with and without SSL: full float tables vs DPQ vs MGQE (sizes in the report)
        foreach (var kind in new[] { EmbeddingKind.Full, EmbeddingKind.Dpq, EmbeddingKind.Mgqe })
            foreach (var (ssl, suffix) in new[] { (SslMode.None, ""), (SslMode.Cfm, "+cfm") })
            {
                var options = (ssl == SslMode.None ? methods[0].Options : cfm) with { Embedding = kind };
                var method = kind == EmbeddingKind.Full ? (ssl == SslMode.None ? "baseline" : "cfm") : kind.ToString().ToLowerInvariant() + suffix;
                var label = $"{kind.ToString().ToLowerInvariant()}, {(ssl == SslMode.None ? "no SSL" : "cfm")}";
                foreach (var s in all) entries.Add(new StudyEntry(Compact, label, Cell(method, options, 1, s)));
            }

        // Same-entity data: the schema's ties (as given) against the same data with every tie removed
        if (hasTies)
            foreach (var untied in new[] { false, true })
                foreach (var ssl in new[] { SslMode.None, SslMode.Cfm })
                {
                    var options = ssl == SslMode.None ? methods[0].Options : cfm;
                    var method = (untied, ssl) switch { (false, SslMode.None) => "baseline", (false, _) => "cfm", (true, SslMode.None) => "untied", _ => "untied+cfm" };
                    var label = $"{(untied ? "untied" : "tied")}, {(ssl == SslMode.None ? "no SSL" : "cfm")}";
                    foreach (var s in all) entries.Add(new StudyEntry(Ties, label, Cell(method, options, 1, s) with { Untied = untied }));
                }
        return entries;
    }
}
