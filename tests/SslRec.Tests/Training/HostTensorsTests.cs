using SslRec.Training;
using static TorchSharp.torch;

namespace SslRec.Tests.Training;

public class HostTensorsTests
{
    [Fact]
    public void A_tensor_holds_a_copy_of_the_values_in_the_given_shape_and_type()
    {
        using var scope = NewDisposeScope();
        var values = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = HostTensors.From<float>(values, [2, 3]);
        values[0] = 99; // the tensor is a copy, not a view of the array
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal([2L, 3], t.shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.data<float>().ToArray());

        Assert.Equal(ScalarType.Byte, HostTensors.From<byte>([7, 8]).dtype);
        Assert.Equal([(short)-1, 300], HostTensors.From<short>([-1, 300]).data<short>().ToArray());
        Assert.Equal([long.MaxValue, -3], HostTensors.From<long>([long.MaxValue, -3]).data<long>().ToArray());
        Assert.Equal(0, HostTensors.From<long>([]).numel());
    }

    [Fact]
    public void Int_indices_are_widened_to_int64()
    {
        using var scope = NewDisposeScope();
        var t = HostTensors.Int64([3, -1, int.MaxValue]);
        Assert.Equal(ScalarType.Int64, t.dtype);
        Assert.Equal([3L, -1, int.MaxValue], t.data<long>().ToArray());
        Assert.Equal(0, HostTensors.Int64([]).numel());
    }

    [Fact]
    public void Values_that_do_not_fill_the_shape_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => HostTensors.From<float>([1, 2, 3], [2, 2]));
    }
}
