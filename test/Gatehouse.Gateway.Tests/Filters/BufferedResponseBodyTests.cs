using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Tests.Filters;

public class BufferedResponseBodyTests
{
    private static BufferedResponseBody Create(int limit, out DefaultHttpContext context)
    {
        context = new DefaultHttpContext();
        var inner = context.Features.Get<IHttpResponseBodyFeature>()!;
        var body = new BufferedResponseBody(inner, limit);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        return body;
    }

    [Fact]
    public void Write_ExactlyTheLimitInPieces_KeepsEveryByteInOrder()
    {
        using var body = Create(10_000, out _);
        PipeWriter writer = body;
        var data = new byte[10_000];
        Random.Shared.NextBytes(data);

        for (var offset = 0; offset < data.Length; offset += 3000)
        {
            writer.Write(data.AsSpan(offset, Math.Min(3000, data.Length - offset)));
        }

        Assert.Equal(data, body.Written.ToArray());
    }

    [Fact]
    public void Write_OneByteOverTheLimit_ThrowsLimitException_KeepsNothingPastIt()
    {
        using var body = Create(100, out _);
        PipeWriter writer = body;
        writer.Write(new byte[100]);

        var error = Assert.Throws<ResponseBodyLimitException>(() => writer.Write(new byte[1]));

        Assert.Equal(100, error.Limit);
        Assert.Equal(100, body.Written.Length);
    }

    [Fact]
    public void GetSpan_SizeHintBeyondTheLimit_Throws()
    {
        using var body = Create(100, out _);

        Assert.Throws<ResponseBodyLimitException>(() => body.GetSpan(101));
        Assert.Equal(100, body.GetMemory(100).Length);
    }

    [Fact]
    public async Task StreamAndFlush_NeverStartTheClientResponse()
    {
        using var body = Create(100, out var context);

        await context.Response.Body.WriteAsync(new byte[] { 1, 2, 3 });
        await context.Response.StartAsync();
        await context.Response.BodyWriter.FlushAsync();

        Assert.Equal([1, 2, 3], body.Written.ToArray());
        Assert.False(context.Response.HasStarted);
    }

    [Fact]
    public void Bypass_PutsTheClientBodyBack_AndDropsTheBuffer()
    {
        var body = Create(100, out var context);
        var inner = body.Inner;
        ((PipeWriter)body).Write(new byte[] { 1 });

        BufferedResponseBody.Bypass(context);

        Assert.Same(inner, context.Features.Get<IHttpResponseBodyFeature>());
        Assert.True(body.Written.IsEmpty);
        Assert.Null(BufferedResponseBody.Detach(context));
    }
}
