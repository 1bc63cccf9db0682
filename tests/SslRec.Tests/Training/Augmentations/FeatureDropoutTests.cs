using SslRec.Core.Ssl;
using SslRec.Core.Statistics;
using SslRec.Core.Util;

namespace SslRec.Tests.Training.Augmentations;

public class FeatureDropoutTests
{
    [Fact]
    public void Fd_masks_nothing_and_both_views_drop_at_the_rate_on_any_schema()
    {
        var fd = new FeatureDropout();
        Assert.Equal((0, false), (fd.MinItemFeatures, fd.NeedsMutualInformation));
        var rng = new Rng(3);
        var (first, second) = fd.Start(new AugmentationInputs(new ItemFeatureStatistics(["item_id"], new double[1, 1]), DropRate: 0.25)).Sample(rng);
        Assert.Equal([false], first.Masked);
        Assert.Equal([false], second.Masked);
        Assert.Equal((0.25, 0.25), (first.DropRate, second.DropRate));
        Assert.Equal(new Rng(3).Next(1000), rng.Next(1000)); // draws nothing: the step's later draws are unchanged
    }
}
