using System.CommandLine;
using SslRec.Cli.Commands;

namespace SslRec.Cli;

public static class Program
{
    public static int Main(string[] args) => Commands().Parse(args).Invoke();

    /// <summary>Every command (the GPU job's container args are checked against this parser in the tests).</summary>
    public static RootCommand Commands()
    {
        var root = new RootCommand("SslRec: self-supervised two-tower retrieval models (Yao et al., CIKM 2021)")
        {
            GenerateCommand.Create(),
            TrainCommand.Create(),
            DemoCommand.Create(),
            ExperimentCommand.Create(),
            ConvertCommand.Create(),
            PipelineCommands.Host(),
            PipelineCommands.Drop(),
            PipelineCommands.Status(),
            PipelineCommands.Retrain(),
            PipelineCommands.TrainWorkerCommand(),
            PipelineCommands.Recommend(),
        };
        GroupedHelp.Install(root);
        return root;
    }
}
