using System.Net;
using System.Text;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Forwarding;

/// <summary>Runs alone: the memory assertions must not see other tests' allocations.</summary>
[CollectionDefinition(nameof(StreamingCollection), DisableParallelization = true)]
public sealed class StreamingCollection;

[Collection(nameof(StreamingCollection))]
public class HttpForwarderStreamingTests
{
    private const long BulkLength = 256L * 1024 * 1024;
    private const long MaxHeapGrowth = 64L * 1024 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ForwardAsync_256MiBUpload_StreamedWithBoundedMemory()
    {
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            var (length, sha256) = await GeneratedBody.ReadAsync(context.Request.Body);
            await context.Response.WriteAsync($"{length}:{Convert.ToHexString(sha256)}");
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient(TimeSpan.FromMinutes(1));

        string received;
        long growth;
        var content = new GeneratedBody.Content(BulkLength);
        await using (var memory = new ManagedMemorySampler())
        {
            using var response = await client.PostAsync("/upload", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            received = await response.Content.ReadAsStringAsync();
            growth = memory.PeakGrowth;
        }

        Assert.Equal($"{BulkLength}:{Convert.ToHexString(await content.Sha256)}", received);
        Assert.True(growth < MaxHeapGrowth, $"Managed heap grew by {growth / (1024 * 1024)} MiB.");
        Assert.Equal(ForwarderError.None, (await gateway.NextResultAsync()).Error);
    }

    [Fact]
    public async Task ForwardAsync_256MiBDownload_StreamedWithBoundedMemory()
    {
        var sent = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentLength = BulkLength;
            sent.TrySetResult(await GeneratedBody.WriteAsync(context.Response.Body, BulkLength, context.RequestAborted));
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient(TimeSpan.FromMinutes(1));

        (long Length, byte[] Sha256) received;
        long growth;
        await using (var memory = new ManagedMemorySampler())
        {
            using var response = await client.GetAsync("/download", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(BulkLength, response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync();
            received = await GeneratedBody.ReadAsync(body);
            growth = memory.PeakGrowth;
        }

        Assert.Equal(BulkLength, received.Length);
        Assert.Equal(await sent.Task.WaitAsync(Wait), received.Sha256);
        Assert.True(growth < MaxHeapGrowth, $"Managed heap grew by {growth / (1024 * 1024)} MiB.");
    }

    [Fact]
    public async Task ForwardAsync_SlowStreamingResponse_FirstBytesArriveBeforeTheNodeFinishes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = false;
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            await context.Response.WriteAsync("first-chunk\n");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("second-chunk\n");
            Volatile.Write(ref finished, true);
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        try
        {
            using var response = await client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Wait);
            await using var body = await response.Content.ReadAsStreamAsync();
            var first = await ReadAtLeastAsync(body, "first-chunk\n".Length).WaitAsync(Wait);

            Assert.Equal("first-chunk\n", first);
            Assert.False(Volatile.Read(ref finished));

            release.TrySetResult();
            using var reader = new StreamReader(body);
            Assert.Equal("second-chunk\n", await reader.ReadToEndAsync().WaitAsync(Wait));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task ForwardAsync_EventStreamWithDelayedBody_HeadersReachTheClientFirst()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("data: hello\n\n");
        });
        await using var gateway = await ForwarderTestHost.StartAsync(ForwarderTestHost.Node(backend.BaseAddress));
        using var client = gateway.CreateClient();

        try
        {
            // Completes only if the gateway sent the headers while the node still withholds the body.
            using var response = await client.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead).WaitAsync(Wait);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

            release.TrySetResult();
            Assert.Equal("data: hello\n\n", await response.Content.ReadAsStringAsync().WaitAsync(Wait));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    private static async Task<string> ReadAtLeastAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return Encoding.ASCII.GetString(buffer);
    }
}
