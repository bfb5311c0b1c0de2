using System.Net;
using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.FunctionalTests.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

/// <summary>1 GiB up and 1 GiB down through a full gateway on the loop engine: content intact, memory bounded.</summary>
[Collection(nameof(StreamingCollection))]
public sealed class LoopEngineStreamingTests
{
    private const long OneGiB = 1024L * 1024 * 1024;
    private const long MaxHeapGrowth = 64L * 1024 * 1024;

    [Fact]
    public async Task OneGiBUploadAndDownload_OnTheLoopEngine_StreamedWithBoundedMemory()
    {
        var sent = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await EchoBackend.StartAsync("b", async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                var (length, sha256) = await GeneratedBody.ReadAsync(context.Request.Body);
                await context.Response.WriteAsync($"{length}:{Convert.ToHexString(sha256)}");
                return;
            }

            context.Response.ContentLength = OneGiB;
            sent.TrySetResult(await GeneratedBody.WriteAsync(context.Response.Body, OneGiB, context.RequestAborted));
        });
        await using var gw = await EngineGateway.StartAsync(GatewayEngines.Loop, backend.Address);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(3) };
        client.DefaultRequestHeaders.Add("serviceName", "s");
        var baseAddress = $"http://127.0.0.1:{gw.Port}";

        var content = new GeneratedBody.Content(OneGiB);
        string uploaded;
        long uploadGrowth;
        await using (var memory = new ManagedMemorySampler())
        {
            HttpResponseMessage response;
            try
            {
                response = await client.PostAsync(baseAddress + "/upload", content);
            }
            catch (HttpRequestException e)
            {
                // What the gateway logged says why it cut the upload off.
                var logged = string.Join("\n", gw.Logs.Entries.Select(entry => $"{entry.Level} {entry.EventId.Id} {entry.Message} {entry.Exception?.Message}"));
                throw new InvalidOperationException($"upload failed: {e.Message}\ngateway log:\n{logged}", e);
            }

            using var _ = response;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            uploaded = await response.Content.ReadAsStringAsync();
            uploadGrowth = memory.PeakGrowth;
        }

        Assert.Equal($"{OneGiB}:{Convert.ToHexString(await content.Sha256)}", uploaded);
        Assert.True(uploadGrowth < MaxHeapGrowth, $"Managed heap grew by {uploadGrowth / (1024 * 1024)} MiB on upload.");

        (long Length, byte[] Sha256) received;
        long downloadGrowth;
        await using (var memory = new ManagedMemorySampler())
        {
            using var response = await client.GetAsync(baseAddress + "/download", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(OneGiB, response.Content.Headers.ContentLength);
            await using var body = await response.Content.ReadAsStreamAsync();
            received = await GeneratedBody.ReadAsync(body);
            downloadGrowth = memory.PeakGrowth;
        }

        Assert.Equal(OneGiB, received.Length);
        Assert.Equal(await sent.Task.WaitAsync(TimeSpan.FromSeconds(10)), received.Sha256);
        Assert.True(downloadGrowth < MaxHeapGrowth, $"Managed heap grew by {downloadGrowth / (1024 * 1024)} MiB on download.");
        Assert.True(LoopEngine.AcceptedConnections(gw.Services) > 0);
        Assert.True(LoopEngine.UpstreamConnections(gw.Services) > 0);
    }
}
