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
        };
        return root.Parse(args).Invoke();
    }
}
