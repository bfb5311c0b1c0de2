using System.Text;
using Gatehouse.Gateway.Grpc;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Grpc;

public class GrpcWebBridgeTests
{
    [Theory]
    [InlineData("POST", "application/grpc-web", "Binary")]
    [InlineData("POST", "application/grpc-web+proto", "Binary")]
    [InlineData("POST", "Application/GRPC-Web; charset=utf-8", "Binary")]
    [InlineData("POST", "application/grpc-web-text", "Text")]
    [InlineData("POST", "application/grpc-web-text+proto", "Text")]
    [InlineData("POST", "application/grpc", "None")]
    [InlineData("POST", "application/grpc-webx", "None")]
    [InlineData("POST", "application/grpc-web-textual", "None")]
    [InlineData("POST", null, "None")]
    [InlineData("GET", "application/grpc-web", "None")]
    public void Mode_ByMethodAndContentType(string method, string? contentType, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.ContentType = contentType;
        Assert.Equal(expected, GrpcWebBridge.Mode(context.Request).ToString());
    }
}

public class Base64RequestStreamTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 64)]
    [InlineData(3, 2)]
    [InlineData(7, 5)]
    [InlineData(4096, 4096)]
    public async Task Decodes_PaddedBlocksInsideTheStream_WhateverTheChunkAndBufferSizes(int chunk, int bufferSize)
    {
        // Three messages encoded on their own, as gRPC-Web clients may send them: padding in the middle of the stream.
        byte[][] parts = [Encoding.UTF8.GetBytes("first message"), [0, 0, 0, 0, 1, 0xFF], Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray()];
        var text = string.Concat(parts.Select(Convert.ToBase64String));
        var stream = new Base64RequestStream(new ChunkedStream(Encoding.ASCII.GetBytes(text), chunk));

        var decoded = await ReadAllAsync(stream, bufferSize);

        Assert.Equal(parts.SelectMany(p => p).ToArray(), decoded);
    }

    [Fact]
    public async Task ZeroByteRead_WaitsForTheClient_ThenReportsDataReady()
    {
        var inner = new ChunkedStream(Encoding.ASCII.GetBytes("aGVsbG8="), 8);
        var stream = new Base64RequestStream(inner);
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(1, inner.ZeroByteReads);

        var buffer = new byte[16];
        Assert.Equal(5, await stream.ReadAsync(buffer));
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, 5));
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }

    [Theory]
    [InlineData("aGVsbG8", "inside a base64 quad")]
    [InlineData("aGV!bG8=", "not valid base64")]
    public async Task BadText_IsAMalformedBody400(string text, string message)
    {
        var stream = new Base64RequestStream(new ChunkedStream(Encoding.ASCII.GetBytes(text), 3));
        var error = await Assert.ThrowsAsync<BadHttpRequestException>(() => ReadAllAsync(stream, 64));
        Assert.Contains(message, error.Message);
        Assert.Equal(400, error.StatusCode);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, int bufferSize)
    {
        var output = new MemoryStream();
        var buffer = new byte[bufferSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>Hands out its bytes at most <c>chunk</c> at a time, as a client's body arrives over the network.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public int ZeroByteReads { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                ZeroByteReads++;
            }

            return base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
        }
    }
}
