using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>Traffic through the gateways and small API helpers of the service page tests.</summary>
public sealed partial class ConsoleCluster
{
    /// <summary>Sends <paramref name="count"/> GETs for <paramref name="service"/> through gw-1, <paramref name="parallel"/> at a time; returns the failures.</summary>
    public async Task<int> SendAsync(string service, string path, int count, int parallel = 8)
    {
        var failures = 0;
        var next = 0;
        var port = Gateways[0].Port;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                if (!await TryGetAsync(port, service, path))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        return failures;
    }

    /// <summary>One GET through a gateway's traffic port; true for a 200.</summary>
    public async Task<bool> TryGetAsync(int port, string service, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        request.Headers.Add("serviceName", service);
        try
        {
            using var response = await Client.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits until both gateways applied the admin's latest version.</summary>
    public async Task WaitGatewaysCurrentAsync()
    {
        var version = await AdminVersionAsync();
        foreach (var gateway in Gateways)
        {
            await WaitAsync(async () => await GatewayVersionAsync(gateway.ControlPort) >= version, $"{gateway.NodeId} applied version {version}");
        }
    }

    /// <summary>The node of a service as the API has it.</summary>
    public async Task<JsonElement> NodeAsync(string service, string nodeId)
    {
        var body = await ServiceAsync(service);
        return body.GetProperty("service").GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("id").GetString() == nodeId);
    }

    public async Task<long> RevisionAsync(string service) => (await ServiceAsync(service)).GetProperty("revision").GetInt64();

    public async Task PatchAsync(string path, object body)
    {
        using var response = await Admin.PatchAsync(path, Json(body));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task PutAsync(string path, object body, long revision)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = Json(body) };
        request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue($"\"{revision}\""));
        using var response = await Admin.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
