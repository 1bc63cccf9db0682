namespace SslRec.Core.Util;

/// <summary>A growable int32 array without the per-element overhead of List&lt;int&gt;'s interface calls.</summary>
public sealed class IntList(int capacity = 16)
{
    private int[] _items = new int[Math.Max(capacity, 4)];

    public int Count { get; private set; }

    /// <summary>A list holding 0: the start offsets of multi-valued bags, each bag adding its end.</summary>
    public static IntList Offsets()
    {
        var offsets = new IntList();
        offsets.Add(0);
        return offsets;
    }

    public void Add(int value)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = value;
    }

    public ReadOnlySpan<int> AsSpan() => _items.AsSpan(0, Count);

    public int[] ToArray() => _items.AsSpan(0, Count).ToArray();
}
