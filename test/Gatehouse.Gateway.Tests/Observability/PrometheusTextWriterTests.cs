using System.Text;
using Gatehouse.Gateway.Observability;

namespace Gatehouse.Gateway.Tests.Observability;

public class PrometheusTextWriterTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData(@"back\slash", @"back\\slash")]
    [InlineData("quo\"te", "quo\\\"te")]
    [InlineData("new\nline", @"new\nline")]
    [InlineData("all\\\"\n", "all\\\\\\\"\\n")]
    [InlineData("tab\tand ünïcode stay", "tab\tand ünïcode stay")]
    public void LabelValue_Escaped(string value, string expected)
    {
        var writer = new PrometheusTextWriter();
        writer.Sample("m", [new Label("l", value)], 1);
        Assert.Equal($"m{{l=\"{expected}\"}} 1\n", writer.ToString());
    }

    [Theory]
    [InlineData("gatehouse_requests_total", "gatehouse_requests_total")]
    [InlineData("http.server.duration", "http_server_duration")]
    [InlineData("a:b", "a:b")]
    [InlineData("9lives", "_lives")]
    [InlineData("with space-dash", "with_space_dash")]
    [InlineData("", "_")]
    public void MetricName_Sanitised(string name, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.SanitizeMetricName(name));
    }

    [Theory]
    [InlineData("service", "service")]
    [InlineData("a:b", "a_b")]
    [InlineData("1x", "_x")]
    [InlineData("status.class", "status_class")]
    public void LabelName_Sanitised_NoColonAllowed(string name, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.SanitizeLabelName(name));
    }

    [Fact]
    public void Family_HelpEscapesBackslashAndNewline_TypeLineFollows()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("my.metric", "counter", "Line one\nsays \\ \"quoted\"");
        Assert.Equal("# HELP my_metric Line one\\nsays \\\\ \"quoted\"\n# TYPE my_metric counter\n", writer.ToString());
    }

    [Fact]
    public void Sample_NoLabels_NoBraces_SpecialValues()
    {
        var writer = new PrometheusTextWriter();
        writer.Sample("a", [], 42);
        writer.Sample("b", [], double.PositiveInfinity);
        writer.Sample("c", [], double.NaN);
        writer.Sample("d", [], 0.25);
        Assert.Equal("a 42\nb +Inf\nc NaN\nd 0.25\n", writer.ToString());
    }

    [Fact]
    public void Histogram_BucketsCumulative_InfEqualsCount_SumAndCountLast()
    {
        var writer = new PrometheusTextWriter();
        writer.Histogram("lat_seconds", [new Label("api", "x")], [0.1, 1], [3, 0, 2], 7.5);
        Assert.Equal(
            "lat_seconds_bucket{api=\"x\",le=\"0.1\"} 3\n" +
            "lat_seconds_bucket{api=\"x\",le=\"1\"} 3\n" +
            "lat_seconds_bucket{api=\"x\",le=\"+Inf\"} 5\n" +
            "lat_seconds_sum{api=\"x\"} 7.5\n" +
            "lat_seconds_count{api=\"x\"} 5\n",
            writer.ToString());
    }

    [Fact]
    public void Histogram_FromRecordedCells_IsMonotonicAndMatchesCount()
    {
        var histogram = new LatencyHistogram();
        var frequency = System.Diagnostics.Stopwatch.Frequency;
        foreach (var seconds in new[] { 0.0001, 0.0005, 0.003, 0.003, 0.2, 20.0 })
        {
            histogram.Record((long)(seconds * frequency));
        }

        var counts = new long[histogram.BucketSlots];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = histogram.BucketCount(i);
        }

        var writer = new PrometheusTextWriter();
        writer.Histogram("h", [], LatencyHistogram.BoundsSeconds, counts, histogram.SumSeconds);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var bucketValues = lines.Where(l => l.StartsWith("h_bucket", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..])).ToArray();
        Assert.Equal(LatencyHistogram.BoundsSeconds.Length + 1, bucketValues.Length);
        for (var i = 1; i < bucketValues.Length; i++)
        {
            Assert.True(bucketValues[i] >= bucketValues[i - 1], $"bucket {i} went down: {string.Join(',', bucketValues)}");
        }

        Assert.Equal(2, bucketValues[0]);                      // le=0.0005: 0.1 ms and exactly 0.5 ms (le is inclusive)
        Assert.Equal(4, bucketValues[Array.IndexOf(LatencyHistogram.BoundsSeconds, 0.005)]);
        Assert.Equal(5, bucketValues[^2]);                     // le=10: all but the 20 s one
        Assert.Equal(6, bucketValues[^1]);                     // +Inf
        Assert.Contains("h_count 6", lines);
        var sum = double.Parse(lines.Single(l => l.StartsWith("h_sum", StringComparison.Ordinal)).Split(' ')[1],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(sum, 20.2065, 20.2067);
    }

    [Fact]
    public void Histogram_WrongSlotCount_Throws()
    {
        var writer = new PrometheusTextWriter(new StringBuilder());
        Assert.Throws<ArgumentException>(() => writer.Histogram("h", [], [1.0], [1], 0));
    }
}
