using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Scenario.Tests;

/// <summary>
/// The <c>gatehouse</c> processes one test fixture started: waiting on a condition that also gives up as soon as one of
/// them died (with every process's output in the failure), and the probes fixtures ask of them.
/// </summary>
internal sealed class ProcessSet : IAsyncDisposable
{
    private readonly List<GatehouseProcess> _processes = [];

    public IReadOnlyList<GatehouseProcess> All => _processes;

    /// <summary>Starts a process of the built host and keeps it, to be stopped with the set.</summary>
    public GatehouseProcess Start(string name, params string[] args)
    {
        var process = GatehouseProcess.Start(name, args);
        _processes.Add(process);
        return process;
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms; throws with the logs after <paramref name="patience"/> or when a process exited.</summary>
    public async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || _processes.Any(p => p.HasExited))
            {
                throw new TimeoutException($"Timed out waiting for: {what}\n{Logs()}");
            }

            await Task.Delay(50);
        }
    }

    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    /// <summary>The status of a GET, or 0 while nothing answers.</summary>
    public static async Task<HttpStatusCode> StatusAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A refused connection or a client timeout on a loaded machine both mean "not yet".
            return 0;
        }
    }

    /// <summary>The version a gateway reports on its control port; null while it has none or is not up.</summary>
    public static async Task<long?> GatewayVersionAsync(HttpClient client, int controlPort)
    {
        try
        {
            var body = await client.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{controlPort}/control/config/version");
            return body.GetProperty("version").ValueKind == JsonValueKind.Number ? body.GetProperty("version").GetInt64() : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }
}
