namespace SslRec.Core.Options;

/// <summary>The sections of `sslrec train --help`, in the order they are listed.</summary>
public enum OptionGroup { Data, Model, Ssl, Optimizer, Evaluation, Run }

public static class OptionGroups
{
    /// <summary>The heading of a group in `--help`.</summary>
    public static string Title(this OptionGroup group) => group switch
    {
        OptionGroup.Data => "Data",
        OptionGroup.Model => "Model",
        OptionGroup.Ssl => "Self-supervised task and regularisers",
        OptionGroup.Optimizer => "Optimizer and schedule",
        OptionGroup.Evaluation => "Evaluation",
        OptionGroup.Run => "Run",
        _ => group.ToString(),
    };
}
