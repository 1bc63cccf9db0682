using System.Globalization;

namespace SslRec.Core.Options;

/// <summary>
/// The range a numeric training option (or each element of a list option) must lie in, and why. The bounds
/// are wide enough for any real training and exist so that a typo or an absurd retrain override (epochs
/// 1e9, a million-wide embedding) is refused where it enters, not after hours on a GPU. A value outside is
/// refused with one line naming the option as the CLI spells it, the range, the reason and the value given,
/// e.g. "--epochs must be 1..10,000 (…); got 1,000,000,000". NaN and infinities are outside every range.
/// Whether a model within the bounds fits the machine is checked separately, before training
/// (SslRec.Training's ModelMemory).
/// </summary>
public sealed record OptionRange(string Flag, double Min, double Max, string Why, bool Integer = true, bool MinExclusive = false, bool MaxExclusive = false)
{
    public bool Contains(double value) => double.IsFinite(value) && (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    public string Bounds => Integer
        ? $"{Min.ToString("N0", CultureInfo.InvariantCulture)}..{Max.ToString("N0", CultureInfo.InvariantCulture)}"
        : $"in {(MinExclusive ? "(" : "[")}{Number(Min)}, {Number(Max)}{(MaxExclusive ? ")" : "]")}";

    public string Refusal(double value) => $"{Flag} must be {Bounds} ({Why}); got {Number(value)}";

    /// <summary>Throws <see cref="ArgumentException"/> with <see cref="Refusal"/> when the value is outside the range.</summary>
    public void Check(double value)
    {
        if (!Contains(value)) throw new ArgumentException(Refusal(value));
    }

    private static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsInfinity(v) ? (v > 0 ? "infinity" : "-infinity")
        : v == Math.Floor(v) && Math.Abs(v) < 1e15 ? v.ToString("N0", CultureInfo.InvariantCulture)
        : v.ToString("G6", CultureInfo.InvariantCulture);
}
