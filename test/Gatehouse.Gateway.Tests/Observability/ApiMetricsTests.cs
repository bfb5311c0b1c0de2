using System.Diagnostics;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Routing;
using static Gatehouse.Gateway.Tests.Infrastructure.TestSnapshots;

namespace Gatehouse.Gateway.Tests.Observability;

public class ApiMetricsTests
{
    [Theory]
    [InlineData(100, 0)]
    [InlineData(101, 0)]
    [InlineData(200, 1)]
    [InlineData(304, 2)]
    [InlineData(404, 3)]
    [InlineData(499, 3)]
    [InlineData(503, 4)]
    [InlineData(0, 4)]
    [InlineData(99, 4)]
    [InlineData(600, 4)]
    public void StatusClassIndex_MapsClasses_OutOfRangeIs5xx(int status, int expected)
    {
        Assert.Equal(expected, ApiMetrics.StatusClassIndex(status));
    }

    [Fact]
    public void CompleteRequest_CountsClassHistogramAndInFlight()
    {
        var cells = new GatewayMetrics("g").GetOrAdd("S", "a");
        cells.EnterRequest();
        cells.EnterRequest();
        Assert.Equal(1 + 1, cells.InFlight);
        cells.CompleteRequest(200, Stopwatch.Frequency / 1000, entered: true);
        cells.CompleteRequest(502, Stopwatch.Frequency, entered: true);
        cells.CompleteRequest(404, 1, entered: false);

        Assert.Equal(0, cells.InFlight);
        Assert.Equal(1, cells.Requests(1));
        Assert.Equal(1, cells.Requests(3));
        Assert.Equal(1, cells.Requests(4));
        Assert.Equal(3, cells.Duration.Count);
        Assert.Equal("s", cells.Service); // service label lower-cased, as service names match case-insensitively
    }

    [Fact]
    public void CompleteRequest_CountsExactCode_ClassIsTheSumOfItsCodes()
    {
        var cells = new GatewayMetrics("g").GetOrAdd("s", "a");
        Assert.Equal(0, cells.RequestsWithCode(200)); // nothing allocated before the first request

        cells.CompleteRequest(200, 1, entered: false);
        cells.CompleteRequest(200, 1, entered: false);
        cells.CompleteRequest(201, 1, entered: false);
        cells.CompleteRequest(299, 1, entered: false);
        cells.CompleteRequest(100, 1, entered: false);
        cells.CompleteRequest(599, 1, entered: false);
        cells.CompleteRequest(999, 1, entered: false); // Kestrel allows up to 999: counted as "other", in 5xx

        Assert.Equal(2, cells.RequestsWithCode(200));
        Assert.Equal(1, cells.RequestsWithCode(201));
        Assert.Equal(1, cells.RequestsWithCode(299));
        Assert.Equal(1, cells.RequestsWithCode(100));
        Assert.Equal(1, cells.RequestsWithCode(599));
        Assert.Equal(0, cells.RequestsWithCode(999));
        Assert.Equal(1, cells.RequestsWithOtherCode);
        Assert.Equal(4, cells.Requests(1));
        Assert.Equal(1, cells.Requests(0));
        Assert.Equal(2, cells.Requests(4));
        Assert.Equal("404", StatusCodeLabels.Get(404));
        Assert.Equal("other", StatusCodeLabels.Get(600));
    }

    [Fact]
    public void CompleteRequest_ConcurrentFirstRequests_NoneLost()
    {
        // The code array is made by whichever first request wins; the losers must count into the winner's array.
        for (var round = 0; round < 50; round++)
        {
            var cells = new GatewayMetrics("g").GetOrAdd("s", "a");
            Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => cells.CompleteRequest(204, 1, entered: false));
            Assert.Equal(64, cells.RequestsWithCode(204));
        }
    }

    [Fact]
    public void RecordGrpcStatus_CountsByCode_OutOfRangeIsUnknown()
    {
        var cells = new GatewayMetrics("g").Unmatched;
        cells.RecordGrpcStatus(0);
        cells.RecordGrpcStatus(14);
        cells.RecordGrpcStatus(14);
        cells.RecordGrpcStatus(99);
        Assert.Equal(1, cells.GrpcStatuses(0));
        Assert.Equal(2, cells.GrpcStatuses(14));
        Assert.Equal(1, cells.GrpcStatuses(2));
    }

    [Fact]
    public void RecordGatewayError_CountsByCode_RateLimitedAlsoCountsRejection()
    {
        var cells = new GatewayMetrics("g").Unmatched;
        cells.RecordGatewayError(GatewayError.RateLimited);
        cells.RecordGatewayError(GatewayError.RateLimited);
        cells.RecordGatewayError(GatewayError.ApiNotFound);
        cells.RecordBreakerRejection();
        Assert.Equal(2, cells.GatewayErrors((int)GatewayError.RateLimited));
        Assert.Equal(1, cells.GatewayErrors((int)GatewayError.ApiNotFound));
        Assert.Equal(2, cells.RateLimited);
        Assert.Equal(1, cells.BreakerRejected);
    }

    [Fact]
    public void RecordUpstreamError_NoneIgnored_KindsCounted()
    {
        var cells = new GatewayMetrics("g").Unmatched;
        cells.RecordUpstreamError(ForwarderError.None);
        cells.RecordUpstreamError(ForwarderError.ConnectFailed);
        Assert.Equal(0, cells.UpstreamErrors(ForwarderError.None));
        Assert.Equal(1, cells.UpstreamErrors(ForwarderError.ConnectFailed));
        Assert.Equal("connect_failed", MetricNames.ForwarderErrorKind(ForwarderError.ConnectFailed));
        Assert.Equal("response_headers_timeout", MetricNames.ForwarderErrorKind(ForwarderError.ResponseHeadersTimeout));
    }

    [Fact]
    public void Compile_SameApiAcrossReloads_SharesCells_RemovedApiForgotten()
    {
        var state = new SnapshotState();
        using var metrics = new GatewayMetrics("default", state);
        var compiler = new SnapshotCompiler("default", null, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(),
            new UpstreamClientFactory(), new NodeStateRegistry(), TimeProvider.System, metrics: metrics);

        var v1 = new GatewayConfig { Services = [Service("Orders", ["/a", "/b"])] };
        var first = compiler.Compile(v1, "t", 1, ConfigChecksum.Compute(v1));
        state.Publish(first);
        var a1 = first.Services["orders"].Apis[0];
        a1.Metrics.CompleteRequest(200, 1, entered: false);

        var v2 = new GatewayConfig { Services = [Service("orders", ["/a"])] };
        var second = compiler.Compile(v2, "t", 2, ConfigChecksum.Compute(v2));
        state.Publish(second);

        // Counters stay monotonic across the reload: the new snapshot's API counts into the same cells.
        Assert.Same(a1.Metrics, second.Services["orders"].Apis[0].Metrics);
        Assert.Equal(1, second.Services["orders"].Apis[0].Metrics.Requests(1));
        Assert.Single(metrics.Apis);
        Assert.Equal("api0", metrics.Apis.Single().Api);
    }
}
