using System.CommandLine;
using SslRec.Cli.Commands;

namespace SslRec.Cli;

public static class Program
{
    public static int Main(string[] args)
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
        return root.Parse(args).Invoke();
    }
}
