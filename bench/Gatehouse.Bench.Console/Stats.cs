using System.Globalization;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>Nearest-rank percentiles of a set of millisecond samples.</summary>
internal sealed class Stats
{
    private readonly double[] _sorted;

    public Stats(IEnumerable<double> samples)
    {
        _sorted = samples.Order().ToArray();
    }

    public int Count => _sorted.Length;

    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];

    public double P(double percentile) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];

    public static string Ms(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    public static double Median(IEnumerable<double> values) => new Stats(values).P(50);
}
