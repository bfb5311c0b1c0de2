using Gatehouse.Gateway.Observability;

namespace Gatehouse.Gateway.Tests.Observability;

public class ProcessMetricsTests
{
    [Fact]
    public void ParseStatmPages_SizeAndResident()
    {
        Assert.Equal(52000, ProcessMetrics.ParseStatmPages("52000 7100 3000 1 0 9000 0\n", 0));
        Assert.Equal(7100, ProcessMetrics.ParseStatmPages("52000 7100 3000 1 0 9000 0\n", 1));
        Assert.Null(ProcessMetrics.ParseStatmPages("", 1));
        Assert.Null(ProcessMetrics.ParseStatmPages("12 x", 1));
    }

    [Fact]
    public void ParseMaxOpenFiles_SoftLimit()
    {
        const string limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes
            """;
        Assert.Equal(1024, ProcessMetrics.ParseMaxOpenFiles(limits));
        Assert.Null(ProcessMetrics.ParseMaxOpenFiles("Max open files            unlimited            unlimited            files"));
        Assert.Null(ProcessMetrics.ParseMaxOpenFiles("Limit  Soft Limit"));
    }

    [Fact]
    public void Write_StandardFamiliesWithTheirTypes()
    {
        var writer = new PrometheusTextWriter();
        ProcessMetrics.Write(writer);
        var text = writer.ToString();
        Assert.Contains("# TYPE process_cpu_seconds_total counter", text);
        Assert.Contains("# TYPE process_resident_memory_bytes gauge", text);
        Assert.Contains("# TYPE process_start_time_seconds gauge", text);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("# TYPE process_open_fds gauge", text);
            Assert.Contains("# TYPE process_max_fds gauge", text);
            Assert.Contains("# TYPE process_virtual_memory_bytes gauge", text);
        }
    }
}
