using System.CommandLine;
using SslRec.Core.Synthetic;

namespace SslRec.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var defaults = new SyntheticOptions();
        var output = new Option<string>("--out") { Description = "Folder to write the dataset to", Required = true };
        var interactions = new Option<int>("--interactions") { Description = "Number of (query, item) interactions", DefaultValueFactory = _ => defaults.Interactions };
        var items = new Option<int>("--items") { Description = "Number of catalog items", DefaultValueFactory = _ => defaults.Items };
        var users = new Option<int>("--users") { Description = "Number of users (0: one per 12 interactions)", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed", DefaultValueFactory = _ => defaults.Seed };
        var links = new Option<bool>("--link-prediction")
        {
            Description = "Same-entity data instead: pages linking to pages (query = source page, item = linked page; --items is the number of pages), with tied features",
        };
        var command = new Command("generate", "Write a synthetic dataset (power-law popularity, correlated item features)")
        {
            output, interactions, items, users, seed, links,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var dir = parse.GetValue(output)!;
            var o = new SyntheticOptions
            {
                Interactions = parse.GetValue(interactions), Items = parse.GetValue(items),
                Users = parse.GetValue(users), Seed = parse.GetValue(seed),
            };
            if (parse.GetValue(links))
            {
                LinkPredictionGenerator.Generate(dir, o);
                Console.WriteLine($"wrote {o.Interactions:N0} links between {o.Items:N0} pages to {dir} (query features tied to the page's)");
                return;
            }
            SyntheticGenerator.Generate(dir, o);
            Console.WriteLine($"wrote {o.Interactions:N0} interactions over {o.Items:N0} items to {dir}");
        }));
        return command;
    }
}
