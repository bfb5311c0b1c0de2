using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Scenario.Tests;

namespace Gatehouse.Host.Tests.Infrastructure;

/// <summary>
/// One real <c>gatehouse admin</c> process on a free loopback port with its own SQLite file, shared by a test class
/// (it takes seconds to start); each test works in a group of its own.
/// </summary>
public sealed class AdminProcess : IAsyncLifetime
{
    public const string Token = "cli-test-admin-token";

    private readonly int _port = GatehouseProcess.FreePort();
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-cli-admin-").FullName;
    private GatehouseProcess _process = null!;
    private int _groups;

    public string Url => $"http://127.0.0.1:{_port}";

    /// <summary>The admin API with <see cref="Token"/>.</summary>
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _process = GatehouseProcess.StartIn(_directory, "admin",
            "admin", "--urls", Url,
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(_directory, "admin.db")}",
            "--Gatehouse:Admin:Token", Token,
            "--Gatehouse:ControlSecret", "cli-test-control-secret");
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(10) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var health = await Client.GetAsync("/healthz");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the admin did not come up:\n{_process.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Creates a new group and imports <paramref name="yaml"/> into it (version 2); returns its name.</summary>
    public async Task<string> NewGroupAsync(string yaml)
    {
        var group = $"cli-{Interlocked.Increment(ref _groups)}";
        using var created = await Client.PostAsync("/api/v1/groups", new StringContent($$"""{"name":"{{group}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var imported = await Client.PostAsync($"/api/v1/groups/{group}/import", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        return group;
    }

    /// <summary>The group's latest version and its checksum.</summary>
    public async Task<(long Version, string Checksum)> LatestAsync(string group)
    {
        var page = JsonDocument.Parse(await Client.GetStringAsync($"/api/v1/groups/{group}/versions?limit=1")).RootElement;
        var latest = page.GetProperty("items")[0];
        return (latest.GetProperty("version").GetInt64(), latest.GetProperty("checksum").GetString()!);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
