using System.Net;

namespace Gatehouse.Scenario.Tests;

/// <summary>A POST whose body is sent in 1 KB chunks with a pause between them: a request that stays in flight for a known time.</summary>
internal static class SlowUpload
{
    public const int ChunkSize = 1024;

    /// <summary>Sends the upload to the demo node behind the gateway; returns the status and body, or 0 and the error.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpClient client, int traffic, int chunks, TimeSpan pause)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{traffic}/orders/upload")
        {
            Content = new Chunks(chunks, pause),
        };
        request.Headers.Add("serviceName", "orders");
        try
        {
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (0, e.Message);
        }
    }

    private sealed class Chunks(int count, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = new byte[ChunkSize];
            for (var i = 0; i < count; i++)
            {
                await stream.WriteAsync(chunk);
                await stream.FlushAsync();
                await Task.Delay(pause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = (long)count * ChunkSize;
            return true;
        }
    }
}
