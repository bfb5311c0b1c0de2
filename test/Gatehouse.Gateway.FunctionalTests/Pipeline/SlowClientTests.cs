using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Pipeline;

/// <summary>Slow clients (slowloris) on raw sockets against the gateway's Kestrel limits.</summary>
public class SlowClientTests
{
    private static string Config(string address) => $$"""
        services:
          - name: s
            nodes: [ { address: "{{address}}" } ]
            apis: [ { id: all, path: "/**" } ]
        """;

    /// <summary>Sends the start of a request, then one header byte every <paramref name="interval"/> until the server closes.</summary>
    /// <returns>How long the connection stayed open, or null when it was still open after <paramref name="giveUp"/>.</returns>
    private static async Task<TimeSpan?> DribbleAsync(int port, string start, string drip, TimeSpan interval, TimeSpan giveUp)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var watch = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(start));
        var read = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            try
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                    // A 408 may come first; the close is what counts.
                }
            }
            catch (IOException)
            {
                // Reset by the server: closed as well.
            }
        });

        var bytes = Encoding.ASCII.GetBytes(drip);
        var i = 0;
        while (!read.IsCompleted && watch.Elapsed < giveUp)
        {
            try
            {
                await stream.WriteAsync(bytes.AsMemory(i++ % bytes.Length, 1));
            }
            catch (IOException)
            {
                break;
            }

            await Task.WhenAny(read, Task.Delay(interval));
        }

        await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5)));
        return read.IsCompleted ? watch.Elapsed : null;
    }

    [Fact]
    public async Task DribblingHeaders_ClosedAfterHeadersTimeout_WhileNormalRequestsKeepGettingAnswers()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--Gatehouse:Gateway:Limits:RequestHeadersTimeout", "00:00:02");

        var giveUp = TimeSpan.FromSeconds(40);
        var dribblers = Enumerable.Range(0, 20)
            .Select(_ => DribbleAsync(gw.Port, "GET /slow HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\n", "X-Drip: 1\r\n",
                TimeSpan.FromMilliseconds(200), giveUp))
            .ToArray();

        // Ordinary clients are served throughout.
        var answered = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/ok");
            request.Headers.Add("serviceName", "s");
            using var response = await gw.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            answered++;
            await Task.Delay(50);
        }

        var lifetimes = await Task.WhenAll(dribblers);

        Assert.True(answered >= 5, $"only {answered} ordinary requests answered in 3 s");
        // Closed by the 2 s headers timeout (Kestrel checks once a second), long before the dribble would end.
        Assert.All(lifetimes, lifetime =>
        {
            Assert.NotNull(lifetime);
            Assert.InRange(lifetime!.Value, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(25));
        });
        Assert.DoesNotContain(backend.Seen, r => r.Path == "/slow");
    }

    [Fact]
    public async Task DribblingBody_ClosedBelowMinimumDataRate()
    {
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
        });
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address), null,
            "--Gatehouse:Gateway:Limits:MinRequestBodyBytesPerSecond", "1000",
            "--Gatehouse:Gateway:Limits:MinRequestBodyGracePeriod", "00:00:02");

        // 100000 bytes announced, one byte every 200 ms: 5 bytes/s, far below 1000 bytes/s.
        var lifetime = await DribbleAsync(gw.Port,
            "POST /upload HTTP/1.1\r\nHost: gw\r\nserviceName: s\r\nContent-Length: 100000\r\n\r\n", "x",
            TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(40));

        Assert.NotNull(lifetime);
        Assert.InRange(lifetime!.Value, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(25));
    }
}
