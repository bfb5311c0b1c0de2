using System.Text;
using Gatehouse.Gateway.Forwarding;

namespace Gatehouse.Gateway.Observability;

/// <summary>Label values derived from enums, computed once (no per-request formatting).</summary>
internal static class MetricNames
{
    private static readonly string[] ForwarderErrorKinds = BuildKinds();

    /// <summary><c>ConnectFailed</c> → <c>connect_failed</c>.</summary>
    public static string ForwarderErrorKind(ForwarderError error) =>
        (uint)error < (uint)ForwarderErrorKinds.Length ? ForwarderErrorKinds[(int)error] : "other";

    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string[] BuildKinds()
    {
        var values = Enum.GetValues<ForwarderError>();
        var kinds = new string[values.Length];
        foreach (var value in values)
        {
            kinds[(int)value] = SnakeCase(value.ToString());
        }

        return kinds;
    }
}

/// <summary>The <c>code</c> label values "100" … "599", made once so a scrape formats no numbers for them.</summary>
internal static class StatusCodeLabels
{
    private static readonly string[] Labels = Build();

    public static string Get(int code) =>
        (uint)(code - ApiMetrics.FirstCode) < ApiMetrics.CodeCount ? Labels[code - ApiMetrics.FirstCode] : "other";

    private static string[] Build()
    {
        var labels = new string[ApiMetrics.CodeCount];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = (ApiMetrics.FirstCode + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return labels;
    }
}
