using System.Globalization;
using System.Text;

namespace Gatehouse.Gateway.Observability;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): <c># HELP</c> and <c># TYPE</c> once per
/// family, then its samples; histograms as cumulative <c>_bucket{le="..."}</c> series ending in <c>+Inf</c>,
/// then <c>_sum</c> and <c>_count</c>. Names are sanitised and label values escaped here, so callers pass raw
/// strings (service names, API ids) from config.
/// </summary>
internal sealed class PrometheusTextWriter
{
    /// <summary>The content type of format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text;

    public PrometheusTextWriter(StringBuilder? text = null)
    {
        _text = text ?? new StringBuilder(4096);
    }

    public override string ToString() => _text.ToString();

    /// <summary>Starts a family: <c># HELP</c> and <c># TYPE</c> (counter, gauge, histogram).</summary>
    public void Family(string name, string type, string help)
    {
        name = SanitizeMetricName(name);
        _text.Append("# HELP ").Append(name).Append(' ');
        // In HELP text only backslash and line feed are escaped.
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }

        _text.Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>One sample line: <c>name{labels} value</c>.</summary>
    public void Sample(string name, ReadOnlySpan<Label> labels, double value)
    {
        _text.Append(SanitizeMetricName(name));
        AppendLabels(labels, extraName: null, extraValue: null);
        _text.Append(' ');
        AppendValue(value);
        _text.Append('\n');
    }

    /// <summary>
    /// A histogram's series from per-bucket (non-cumulative) counts: one <c>_bucket</c> per bound with the running
    /// total, <c>le="+Inf"</c> equal to <c>_count</c>, then <c>_sum</c> and <c>_count</c>.
    /// </summary>
    /// <param name="bounds">Upper bounds, ascending; <paramref name="bucketCounts"/> has one more slot (+Inf).</param>
    public void Histogram(string name, ReadOnlySpan<Label> labels, ReadOnlySpan<double> bounds, ReadOnlySpan<long> bucketCounts, double sum)
    {
        if (bucketCounts.Length != bounds.Length + 1)
        {
            throw new ArgumentException("One count per bound plus one for +Inf is required.", nameof(bucketCounts));
        }

        name = SanitizeMetricName(name);
        var bucket = name + "_bucket";
        long cumulative = 0;
        for (var i = 0; i < bucketCounts.Length; i++)
        {
            cumulative += bucketCounts[i];
            _text.Append(bucket);
            AppendLabels(labels, "le", i < bounds.Length ? FormatDouble(bounds[i]) : "+Inf");
            _text.Append(' ').Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        _text.Append(name).Append("_sum");
        AppendLabels(labels, null, null);
        _text.Append(' ');
        AppendValue(sum);
        _text.Append('\n');

        _text.Append(name).Append("_count");
        AppendLabels(labels, null, null);
        _text.Append(' ').Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private void AppendLabels(ReadOnlySpan<Label> labels, string? extraName, string? extraValue)
    {
        if (labels.IsEmpty && extraName is null)
        {
            return;
        }

        _text.Append('{');
        var first = true;
        foreach (var label in labels)
        {
            AppendLabel(label.Name, label.Value, ref first);
        }

        if (extraName is not null)
        {
            AppendLabel(extraName, extraValue!, ref first);
        }

        _text.Append('}');
    }

    private void AppendLabel(string name, string value, ref bool first)
    {
        if (!first)
        {
            _text.Append(',');
        }

        first = false;
        _text.Append(SanitizeLabelName(name)).Append("=\"");
        AppendEscapedLabelValue(_text, value);
        _text.Append('"');
    }

    private void AppendValue(double value) => _text.Append(FormatDouble(value));

    /// <summary>Go-style float text: <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, else the shortest round-trip form.</summary>
    internal static string FormatDouble(double value)
    {
        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        return double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Label values escape backslash, double quote and line feed (format 0.0.4).</summary>
    internal static void AppendEscapedLabelValue(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append(@"\n"),
                _ => text.Append(c),
            };
        }
    }

    /// <summary>Metric names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>; anything else becomes <c>_</c>.</summary>
    internal static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>Label names match <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; anything else becomes <c>_</c>.</summary>
    internal static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsValid(name[i], i == 0, allowColon))
            {
                return Rewrite(name, allowColon);
            }
        }

        return name;
    }

    private static string Rewrite(string name, bool allowColon)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!IsValid(chars[i], i == 0, allowColon))
            {
                chars[i] = '_';
            }
        }

        // A leading digit is replaced above; prefixing instead would keep it, but names starting with a digit
        // only come from config ids, and "_" keeps the length stable and predictable.
        return new string(chars);
    }

    private static bool IsValid(char c, bool first, bool allowColon) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_'
        || (c == ':' && allowColon)
        || (!first && c is >= '0' and <= '9');
}

/// <summary>One label of a sample; the name is sanitised and the value escaped when written.</summary>
internal readonly record struct Label(string Name, string Value);
