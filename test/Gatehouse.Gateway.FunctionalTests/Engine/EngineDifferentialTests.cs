using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>
/// The same randomised requests (methods, header sets, bodies by Content-Length and chunked, sizes) through a gateway
/// on each engine, one keep-alive connection each: the node must see the same request from both (method, target,
/// headers in order, body bytes) and the client the same response (status, headers, body bytes, framing kind).
/// Left out of the comparison: what differs per request by design (Date, the generated request id and trace
/// context) and chunk boundaries, which follow the timing of upstream reads on either engine.
/// </summary>
public sealed class EngineDifferentialTests
{
    private const int Cases = 60;
    private static readonly int[] Sizes = [0, 1, 17, 1000, 4095, 4096, 4097, 65535, 65536, 200_000];
    private static readonly string[] BodylessMethods = ["GET", "HEAD", "DELETE", "OPTIONS"];
    private static readonly string[] BodyMethods = ["POST", "PUT", "PATCH"];
    private static readonly int[] Statuses = [200, 200, 201, 202, 204, 404, 500];

    private static readonly HashSet<string> PerRequest = new(StringComparer.OrdinalIgnoreCase) { "Date", "X-Request-ID", "traceparent", "tracestate" };

    [Fact]
    public async Task RandomisedRequests_SameBytesAtTheNodeAndTheClientOnBothEngines()
    {
        var seen = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        await using var backend = await EchoBackend.StartAsync("b", context => RespondAsync(context, seen));
        await using var platform = await EngineGateway.StartAsync(GatewayEngines.Platform, backend.Address);
        await using var loop = await EngineGateway.StartAsync(GatewayEngines.Loop, backend.Address);

        var platformResponses = await SendAllAsync(platform.Port);
        var loopResponses = await SendAllAsync(loop.Port);
        Assert.True(LoopEngine.AcceptedConnections(loop.Services) > 0, "the loop gateway did not run the loop engine");
        Assert.True(LoopEngine.UpstreamConnections(loop.Services) > 0, "the loop gateway's node connections were not on its loops");
        Assert.Equal(-1, LoopEngine.AcceptedConnections(platform.Services));

        for (var i = 0; i < Cases; i++)
        {
            var request = Generate(i);
            Assert.True(seen.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var views), $"case {i}: the node saw nothing");
            var both = views.ToArray();
            Assert.True(both.Length == 2, $"case {i}: the node saw {both.Length} requests");
            Assert.True(both[0] == both[1], $"case {i} ({request.Method}, {request.Framing}): the node saw\n{both[0]}\nand\n{both[1]}");
            Assert.Contains($"body {Convert.ToHexString(SHA256.HashData(request.Body))}", both[0], StringComparison.Ordinal);

            var (p, l) = (platformResponses[i], loopResponses[i]);
            Assert.Equal(Describe(p), Describe(l));
            Assert.Equal(p.Body, l.Body);
            var expected = ExpectedResponse(i, request.Method);
            Assert.Equal(expected.Status, p.Status);
            Assert.Equal(expected.Body, p.Body);
        }
    }

    private static string Describe(ParsedResponse response)
    {
        var text = new StringBuilder().Append(response.Status).Append(response.Chunked ? " chunked\n" : " length\n");
        foreach (var (name, value) in response.Headers)
        {
            if (!PerRequest.Contains(name))
            {
                text.Append(name).Append(": ").Append(value).Append('\n');
            }
        }

        return text.ToString();
    }

    private static async Task<ParsedResponse[]> SendAllAsync(int port)
    {
        var responses = new ParsedResponse[Cases];
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var reader = new RawResponseReader(stream);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (var i = 0; i < Cases; i++)
        {
            var request = Generate(i);
            await stream.WriteAsync(request.Bytes, timeout.Token);
            responses[i] = await reader.ReadAsync(request.Method == "HEAD", timeout.Token)
                ?? throw new InvalidOperationException($"case {i}: the connection closed without a response");
        }

        return responses;
    }

    private sealed record GeneratedRequest(string Method, string Framing, byte[] Body, byte[] Bytes);

    private static GeneratedRequest Generate(int i)
    {
        var random = new Random(4_001 + i);
        var hasBody = random.Next(3) > 0;
        var method = hasBody ? BodyMethods[random.Next(BodyMethods.Length)] : BodylessMethods[random.Next(BodylessMethods.Length)];
        var target = $"/d/{Token(random, 1 + random.Next(20))}/{i}?q={Token(random, random.Next(30))}&n={random.Next()}";
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: gw.example\r\nserviceName: s\r\nx-case: {i}\r\n");
        var headerCount = random.Next(12);
        for (var h = 0; h < headerCount; h++)
        {
            var name = random.Next(4) == 0 ? $"X-Repeat" : $"X-H{h}-{(random.Next(2) == 0 ? "Lower" : "UPPER")}";
            head.Append(name).Append(": ").Append(Token(random, 1 + random.Next(200))).Append("\r\n");
        }

        var body = hasBody ? RandomBytes(random, Sizes[random.Next(Sizes.Length)]) : [];
        var chunked = hasBody && random.Next(2) == 0;
        var payload = new MemoryStream();
        if (chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\n\r\n");
            payload.Write(Encoding.ASCII.GetBytes(head.ToString()));
            var offset = 0;
            while (offset < body.Length)
            {
                var size = Math.Min(body.Length - offset, 1 + random.Next(20_000));
                payload.Write(Encoding.ASCII.GetBytes($"{size:x}\r\n"));
                payload.Write(body, offset, size);
                payload.Write("\r\n"u8);
                offset += size;
            }

            payload.Write("0\r\n\r\n"u8);
        }
        else
        {
            if (hasBody)
            {
                head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
            }

            head.Append("\r\n");
            payload.Write(Encoding.ASCII.GetBytes(head.ToString()));
            payload.Write(body);
        }

        return new GeneratedRequest(method, chunked ? "chunked" : hasBody ? "length" : "none", body, payload.ToArray());
    }

    private sealed record Expected(int Status, byte[] Body, bool Chunked, int Headers, Random Random);

    private static Expected ExpectedResponse(int i, string method)
    {
        var random = new Random(9_001 + i);
        var status = Statuses[random.Next(Statuses.Length)];
        var size = Sizes[random.Next(Sizes.Length)];
        var chunked = random.Next(2) == 0;
        var headers = random.Next(8);
        var body = status == 204 || method == "HEAD" ? [] : RandomBytes(random, size);
        return new Expected(status, body, chunked, headers, random);
    }

    private static async Task RespondAsync(HttpContext context, ConcurrentDictionary<string, ConcurrentQueue<string>> seen)
    {
        var view = new StringBuilder(context.Request.Method).Append(' ')
            .Append(context.Features.Get<IHttpRequestFeature>()!.RawTarget).Append('\n');
        foreach (var header in context.Request.Headers)
        {
            if (PerRequest.Contains(header.Key))
            {
                continue;
            }

            view.Append(header.Key).Append(": ").Append(header.Value.ToString()).Append('\n');
        }

        var received = new MemoryStream();
        await context.Request.Body.CopyToAsync(received);
        view.Append("body ").Append(Convert.ToHexString(SHA256.HashData(received.ToArray())));
        var caseId = context.Request.Headers["x-case"].ToString();
        seen.GetOrAdd(caseId, _ => new ConcurrentQueue<string>()).Enqueue(view.ToString());

        var expected = ExpectedResponse(int.Parse(caseId, System.Globalization.CultureInfo.InvariantCulture), context.Request.Method);
        context.Response.StatusCode = expected.Status;
        for (var h = 0; h < expected.Headers; h++)
        {
            context.Response.Headers[$"x-r-{h}"] = Token(expected.Random, 1 + expected.Random.Next(100));
        }

        if (expected.Status == 204)
        {
            return;
        }

        if (!expected.Chunked)
        {
            context.Response.ContentLength = context.Request.Method == "HEAD"
                ? Sizes[new Random(9_001 + int.Parse(caseId, System.Globalization.CultureInfo.InvariantCulture)).Next(Sizes.Length)]
                : expected.Body.Length;
        }

        var offset = 0;
        while (offset < expected.Body.Length)
        {
            var size = Math.Min(expected.Body.Length - offset, 1 + expected.Random.Next(30_000));
            await context.Response.Body.WriteAsync(expected.Body.AsMemory(offset, size));
            if (expected.Chunked)
            {
                await context.Response.Body.FlushAsync();
            }

            offset += size;
        }
    }

    private static string Token(Random random, int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        var chars = new char[length];
        for (var c = 0; c < length; c++)
        {
            chars[c] = Alphabet[random.Next(Alphabet.Length)];
        }

        return new string(chars);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
