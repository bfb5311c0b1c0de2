using Gatehouse.Admin.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Admin.Tests.Registry;

/// <summary>The setup both ZooKeeper mirrors share: the session connect with backoff, the signal, a refusal's text.</summary>
public sealed class ZooKeeperMirrorSetupTests
{
    [Fact]
    public async Task ConnectAsync_StoppedBeforeAnyServerAnswers_NullAndNothingReported()
    {
        // A loopback port nothing listens on: the client keeps trying within its 10 s attempt until the admin stops.
        var connect = $"127.0.0.1:{Gatehouse.Testing.LoopbackPorts.Next()}";
        var reports = 0;
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var client = await ZooKeeperMirrorSetup.ConnectAsync(connect, TimeSpan.FromSeconds(4), NullLogger.Instance,
            (_, _) => reports++, (_, _) => reports++, stopping.Token);

        Assert.Null(client);
        Assert.Equal(0, reports);
    }

    [Fact]
    public async Task ConnectAsync_MalformedConnectString_ThrowsAtOnce()
    {
        // A deployment error: it stops the admin rather than being retried as an outage.
        var reports = 0;

        await Assert.ThrowsAsync<FormatException>(() => ZooKeeperMirrorSetup.ConnectAsync("127.0.0.1:notaport", TimeSpan.FromSeconds(4),
            NullLogger.Instance, (_, _) => reports++, (_, _) => reports++, CancellationToken.None));

        Assert.Equal(0, reports);
    }

    [Fact]
    public void CreateSignal_BurstOfSignals_OnePending()
    {
        var signal = ZooKeeperMirrorSetup.CreateSignal();

        Assert.True(signal.Writer.TryWrite(true));
        signal.Writer.TryWrite(true);
        signal.Writer.TryWrite(true);

        Assert.True(signal.Reader.TryRead(out _));
        Assert.False(signal.Reader.TryRead(out _));
    }

    [Fact]
    public void Describe_ValidationAndHttpProblems_OneLine()
    {
        var validation = TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            ["nodes[0].address"] = ["must be absolute", "must have a port"],
        });
        var http = TypedResults.Problem(detail: "version moved", statusCode: StatusCodes.Status409Conflict, title: "Conflict");

        Assert.Equal("nodes[0].address: must be absolute, must have a port", ZooKeeperMirrorSetup.Describe(validation));
        Assert.Equal("409 Conflict version moved", ZooKeeperMirrorSetup.Describe(http));
        Assert.Equal("refused by rule", ZooKeeperMirrorSetup.Describe("refused by rule"));
    }
}
