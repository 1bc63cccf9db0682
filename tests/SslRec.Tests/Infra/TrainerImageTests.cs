using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SslRec.Tests.Infra;

/// <summary>
/// Checks infra/trainer.Dockerfile and .dockerignore without Docker (CI has no engine): the restore layer
/// holds every project SslRec.Cli needs, the runtime stage runs as a non-root user, and the build context
/// leaves out generated output but nothing the Dockerfile copies.
/// </summary>
public class TrainerImageTests
{
    private static string Root() => CompiledBicep.Root();

    private record Instruction(string Keyword, string[] Args);

    /// <summary>The Dockerfile's instructions: comments dropped, `\` continuations joined.</summary>
    private static List<Instruction> Dockerfile()
    {
        var text = File.ReadAllText(Path.Combine(Root(), "infra", "trainer.Dockerfile"));
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => !l.TrimStart().StartsWith('#'));
        var joined = string.Join("\n", lines).Replace("\\\n", " ");
        return joined.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => new Instruction(p[0].ToUpperInvariant(), p[1..]))
            .ToList();
    }

    /// <summary>COPY sources (from the build context, not another stage) and destination.</summary>
    private static (string[] Sources, string Dest)? ContextCopy(Instruction i)
    {
        if (i.Keyword != "COPY" || i.Args.Any(a => a.StartsWith("--from"))) return null;
        var paths = i.Args.Where(a => !a.StartsWith("--")).ToArray();
        return (paths[..^1], paths[^1]);
    }

    /// <summary>Joins POSIX paths, resolving `.` segments; an absolute <paramref name="path"/> wins.</summary>
    private static string Join(string dir, string path)
    {
        var full = path.StartsWith('/') ? path : dir.TrimEnd('/') + "/" + path;
        return "/" + string.Join("/", full.Split('/').Where(s => s is not ("" or ".")));
    }

    /// <summary>
    /// Where `COPY source dest` (run in <paramref name="workdir"/>) puts the context file <paramref name="file"/>,
    /// or null if the source does not cover it. A directory source copies its contents into dest; a file
    /// source lands in dest when dest is a directory (`/` at the end, or `.`), else becomes dest.
    /// </summary>
    private static string? Target(string source, string dest, string workdir, string file)
    {
        var src = string.Join("/", source.Split('/').Where(s => s is not ("" or ".")));
        var destDir = Join(workdir, dest);
        if (src == "") return Join(destDir, file);
        if (file.StartsWith(src + "/")) return Join(destDir, file[(src.Length + 1)..]);
        if (file != src) return null;
        return dest.EndsWith('/') || dest is "." ? Join(destDir, Path.GetFileName(file)) : destDir;
    }

    /// <summary>SslRec.Cli's csproj and every csproj it reaches through ProjectReference, repository-relative.</summary>
    private static SortedSet<string> CliProjects()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        void Visit(string relative)
        {
            if (!found.Add(relative)) return;
            var doc = XDocument.Load(Path.Combine(Root(), relative));
            foreach (var reference in doc.Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                var full = Path.GetFullPath(Path.Combine(Root(), Path.GetDirectoryName(relative)!, include));
                Visit(Path.GetRelativePath(Root(), full).Replace('\\', '/'));
            }
        }
        Visit("src/SslRec.Cli/SslRec.Cli.csproj");
        return found;
    }

    /// <summary>
    /// The repository's files, repository-relative, without bin/, obj/ and dot-folders (.git, .tools): the
    /// generated output and local state that .dockerignore must leave out anyway.
    /// </summary>
    private static List<string> RepositoryFiles()
    {
        IEnumerable<string> Walk(string dir) => Directory.GetFiles(dir).Concat(Directory.GetDirectories(dir)
            .Where(d => Path.GetFileName(d) is not ("bin" or "obj") && !Path.GetFileName(d).StartsWith('.'))
            .SelectMany(Walk));
        return Walk(Root()).Select(f => Path.GetRelativePath(Root(), f).Replace('\\', '/')).ToList();
    }

    [Fact]
    public void The_restore_layer_copies_every_project_the_cli_references_to_its_own_path()
    {
        var instructions = Dockerfile();
        var restore = instructions.FindIndex(i => i.Keyword == "RUN" && string.Join(' ', i.Args).Contains("dotnet restore"));
        Assert.True(restore > 0, "the build stage restores in a RUN of its own before copying sources");
        Assert.Contains("src/SslRec.Cli", string.Join(' ', instructions[restore].Args));

        var stage = instructions.FindLastIndex(restore, i => i.Keyword == "FROM");
        var workdir = "/";
        var placed = new HashSet<string>(StringComparer.Ordinal);   // absolute paths in the image at restore time
        var required = CliProjects();
        Assert.True(required.Count >= 7, string.Join(", ", required));   // the walk really followed references
        required.UnionWith(["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"]);
        required.UnionWith(Directory.GetFiles(Path.Combine(Root(), "build")).Select(f => "build/" + Path.GetFileName(f)));
        var sourceFiles = RepositoryFiles().Where(f => f.StartsWith("src/") && f.EndsWith(".cs")).ToList();

        for (var i = stage; i < restore; i++)
        {
            if (instructions[i].Keyword == "WORKDIR") workdir = Join(workdir, instructions[i].Args[0]);
            if (ContextCopy(instructions[i]) is not { } copy) continue;
            var (sources, dest) = copy;
            foreach (var source in sources)
            {
                foreach (var file in required)
                    if (Target(source, dest, workdir, file) is { } target) placed.Add(target);
                // Sources in the restore layer would make every code edit re-download the CUDA packages.
                Assert.DoesNotContain(sourceFiles, f => Target(source, dest, workdir, f) is not null);
            }
        }

        var restoreDir = workdir;
        var missing = required.Where(f => !placed.Contains(Join(restoreDir, f))).ToList();
        Assert.True(missing.Count == 0, "not copied (to the same relative path) before `dotnet restore`: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_runtime_stage_runs_as_a_non_root_user()
    {
        var instructions = Dockerfile();
        var last = instructions.FindLastIndex(i => i.Keyword == "FROM");
        var stage = instructions.Skip(last).ToList();
        var lastCopy = stage.FindLastIndex(i => i.Keyword is "COPY" or "ADD");
        var user = stage.FindLastIndex(i => i.Keyword == "USER");
        Assert.True(user > lastCopy, "the last stage sets USER after its last COPY (so nothing later runs as root)");
        var name = stage[user].Args[0].Split(':')[0];
        Assert.DoesNotContain(name, new[] { "root", "0" });
        Assert.Contains(stage, i => i.Keyword == "ENTRYPOINT" && string.Join(' ', i.Args).Contains("sslrec.dll"));
    }

    /// <summary>
    /// Docker's .dockerignore semantics, simplified: patterns relative to the context root, `*` and `?`
    /// within one path segment, `**` any number of segments; a path is excluded when the last pattern
    /// matching it or one of its parent folders is not a `!` exception.
    /// </summary>
    private static Func<string, bool> DockerIgnore()
    {
        var rules = File.ReadAllLines(Path.Combine(Root(), ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l != "" && !l.StartsWith('#'))
            .Select(l => (Exclude: !l.StartsWith('!'), Regex: Glob(l.TrimStart('!').Trim('/'))))
            .ToList();
        return path =>
        {
            var segments = path.Split('/');
            var prefixes = Enumerable.Range(1, segments.Length).Select(n => string.Join("/", segments[..n])).ToList();
            var excluded = false;
            foreach (var (exclude, regex) in rules)
                if (prefixes.Any(regex.IsMatch)) excluded = exclude;
            return excluded;
        };
    }

    private static Regex Glob(string pattern)
    {
        var regex = Regex.Escape(pattern)
            .Replace(@"\*\*/", "(.*/)?")      // **/ : zero or more folders
            .Replace(@"/\*\*", "(/.*)?")
            .Replace(@"\*\*", ".*")
            .Replace(@"\*", "[^/]*")
            .Replace(@"\?", "[^/]");
        return new Regex("^" + regex + "$");
    }

    [Theory]
    [InlineData(".git/HEAD")]
    [InlineData(".git/objects/ab/cdef")]
    [InlineData("bin/x.dll")]
    [InlineData("src/SslRec.Core/bin/Release/x.dll")]
    [InlineData("src/SslRec.Cli/obj/project.assets.json")]
    [InlineData("tests/SslRec.Tests/bin/Debug/net10.0/x.dll")]
    [InlineData("bench/SslRec.Bench/obj/x.json")]
    [InlineData(".tools/azurite/x")]
    [InlineData("out/functions.zip")]
    [InlineData("bench/results/train.csv")]
    [InlineData("tests/SslRec.Tests/TestResults/x.trx")]
    [InlineData("src/SslRec.Functions/local.settings.json")]
    [InlineData("src/SslRec.Cli/SslRec.Cli.csproj.user")]
    public void The_build_context_leaves_out_generated_output(string path) =>
        Assert.True(DockerIgnore()(path), $"{path} should be excluded by .dockerignore");

    [Fact]
    public void The_build_context_keeps_everything_the_dockerfile_copies()
    {
        // Every repository file that a COPY from the context names.
        var ignored = DockerIgnore();
        var files = RepositoryFiles();
        var copied = Dockerfile().Select(ContextCopy).Where(c => c is not null)
            .SelectMany(c => c!.Value.Sources)
            .SelectMany(source => files.Where(f => Target(source, ".", "/", f) is not null))
            .Distinct().ToList();

        Assert.Contains("src/SslRec.Cli/SslRec.Cli.csproj", copied);
        Assert.Contains("build/torchsharp-compat.sh", copied);
        Assert.Contains("host.json", copied);
        Assert.Contains(copied, f => f.StartsWith("src/SslRec.Training/") && f.EndsWith(".cs"));
        var lost = copied.Where(ignored).ToList();
        Assert.True(lost.Count == 0, ".dockerignore excludes files the Dockerfile copies: " + string.Join(", ", lost));
    }
}
