using System.Reflection;
using SslRec.Tests.Infra;

namespace SslRec.Tests.Reliability;

/// <summary>
/// The compiler refuses TorchSharp calls that create a Scalar nobody owns: src/BannedSymbols.TorchSharp.txt,
/// read by Microsoft.CodeAnalysis.BannedApiAnalyzers in every src project with torch code (RS0030, an error
/// with the reason). These tests keep that list true to the TorchSharp in use, and make a TorchSharp upgrade
/// stop at the one decision it needs: is <c>OwnedScalarSteps</c> still TorchSharp's arithmetic, and is the
/// guard still needed.
/// </summary>
public class BannedTorchSymbolsTests
{
    /// <summary>The TorchSharp whose optimizer code <c>OwnedScalarSteps</c> copies and whose members the banned list was derived from.</summary>
    private const string CheckedTorchSharp = "0.107.0";

    private static string BannedFile => Path.Combine(CompiledBicep.Root(), "src", "BannedSymbols.TorchSharp.txt");

    [Fact]
    public void TorchSharp_is_the_version_OwnedScalarSteps_was_checked_against()
    {
        var version = typeof(TorchSharp.torch).Assembly.GetName().Version!;
        Assert.True($"{version.Major}.{version.Minor}.{version.Build}" == CheckedTorchSharp,
            $"TorchSharp is {version}, not {CheckedTorchSharp}. Before changing {nameof(CheckedTorchSharp)}: " +
            "(1) compare SslRec.Training/Loop/OwnedScalarSteps.cs with the new Adam.step and Adagrad.step (Optimizers/Adam.cs, Adagrad.cs) — " +
            "OwnedScalarStepsTests checks bit-for-bit equality and the saved state; " +
            "(2) run this class again with SSLREC_WRITE_BANNED_SYMBOLS=1 to rederive src/BannedSymbols.TorchSharp.txt from the new members; " +
            "(3) if the release keeps Scalars alive across native calls (upstream PRs #1434 and #1496), the guard can go: " +
            "see the note at the top of src/BannedSymbols.TorchSharp.txt.");
    }

    /// <summary>
    /// Every public TorchSharp member that <see cref="UnownedScalarRules"/> refuses is in the list, and the list
    /// names nothing else: an upgrade that adds an overload (say pow(float)) fails here until the list has it.
    /// With SSLREC_WRITE_BANNED_SYMBOLS=1 the test rewrites the list instead.
    /// </summary>
    [Fact]
    public void The_banned_list_is_every_torchsharp_member_that_makes_an_unowned_scalar()
    {
        var expected = TorchSharpMembers()
            .Select(m => (Id: DocumentationIds.Of(m), Why: UnownedScalarRules.Why(m.DeclaringType!.FullName!, m.Name, m.GetParameters().Select(p => CallSiteName(p.ParameterType)).ToList())))
            .Where(m => m.Why is not null)
            .Append((Id: "T:" + UnownedScalarRules.ScalarFactory, Why: "makes a Scalar the caller must own; only TorchScalars and OwnedScalarSteps may (#pragma warning disable RS0030, with the reason)"))
            .DistinctBy(m => m.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        if (Environment.GetEnvironmentVariable("SSLREC_WRITE_BANNED_SYMBOLS") == "1")
            File.WriteAllLines(BannedFile, Header().Concat(expected.Select(m => $"{m.Id};{m.Why}")));

        var listed = File.ReadLines(BannedFile).Select(l => l.Split("//", 2)[0].Trim()).Where(l => l.Length > 0).ToList();
        var listedIds = listed.Select(l => l.Split(';', 2)[0].Trim()).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Where(m => !listedIds.Contains(m.Id)).Select(m => $"{m.Id};{m.Why}").ToList();
        var extra = listedIds.Except(expected.Select(m => m.Id)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"src/BannedSymbols.TorchSharp.txt is not TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}'s list (rewrite it with SSLREC_WRITE_BANNED_SYMBOLS=1):\n" +
            $"missing:\n{string.Join("\n", missing)}\nno longer in TorchSharp:\n{string.Join("\n", extra)}");
        Assert.All(listed, l => Assert.Contains(';', l)); // every ban says why: the reason is the build error's text
    }

    /// <summary>The file's header: what the list is, why, and when it can go (kept in this test, which writes the file).</summary>
    private static IEnumerable<string> Header() =>
    [
        "// TorchSharp members that create a Scalar nobody owns: a build error (RS0030) in every src project with torch code.",
        "// Why: a TorchSharp Scalar owns a native torch::Scalar that its finalizer frees, and TorchSharp passes only the",
        "// handle to libtorch. A temporary Scalar (an implicit conversion, a tensor-number operator, a default argument, the",
        "// optimizers' step) is unreachable once its handle is read, so a GC started by another thread can free it while",
        "// libtorch reads it (\"Expected false to be true ... toFloat\"). Pass SslRec.Training.TorchScalars.Of(x) or a tensor;",
        "// step optimizers with SslRec.Training.Loop.OwnedScalarSteps.Step.",
        "// Derived from TorchSharp's public members by tests/SslRec.Tests/Reliability/BannedTorchSymbolsTests.cs (the rules:",
        "// UnownedScalarRules.cs); rewrite with SSLREC_WRITE_BANNED_SYMBOLS=1 dotnet test ... --filter BannedTorchSymbols.",
        "// When it can go: once a TorchSharp release keeps every Scalar alive across its native calls (upstream PRs #1434",
        "// and #1496) and OwnedScalarSteps is retired for the optimizers' own step(), delete this file, its wiring in",
        "// Directory.Build.targets, TorchScalars, OwnedScalarSteps and the tests in tests/SslRec.Tests/Reliability that",
        "// guard them — after `bash bench/gc-stress.sh` passes with the plain calls.",
    ];

    private static IEnumerable<MethodInfo> TorchSharpMembers() =>
        typeof(TorchSharp.torch).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly));

    /// <summary>A parameter type as <see cref="TorchCallSites"/> names it in IL (primitives by their short name), which the rules match.</summary>
    private static string CallSiteName(Type t) =>
        t.IsPrimitive ? t.Name
        : Nullable.GetUnderlyingType(t) is { } inner ? CallSiteName(inner) + "?"
        : t.IsArray ? CallSiteName(t.GetElementType()!) + "[]"
        : t.FullName ?? t.Name;
}
