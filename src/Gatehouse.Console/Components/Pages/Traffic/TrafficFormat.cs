using System.Globalization;
using Gatehouse.Console.Backend;

namespace Gatehouse.Console.Components.Pages.Traffic;

/// <summary>How the traffic page writes its figures: invariant culture, so a figure reads the same to every operator.</summary>
internal static class TrafficFormat
{
    public static string Qps(double qps) => qps.ToString(qps >= 100 ? "0" : qps >= 1 ? "0.##" : "0.###", CultureInfo.InvariantCulture);

    public static string Percent(double percent) => percent.ToString("0.##", CultureInfo.InvariantCulture) + " %";

    public static string Ms(double? ms) => ms is { } v ? v.ToString(v >= 100 ? "0" : "0.##", CultureInfo.InvariantCulture) : "–";

    public static string Latency(StatsFiguresView f) => f.Requests == 0 ? "–" : $"{Ms(f.P50Ms)} / {Ms(f.P95Ms)} / {Ms(f.P99Ms)} ms";
}
