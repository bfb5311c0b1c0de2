using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Scenario.Tests;
using Microsoft.Playwright;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>
/// What the browser tests drive: a real admin process (with the console), two real gateway processes of group
/// <c>default</c> (gw-1, gw-2), real backend nodes on loopback, users of each role, and Debian's Chromium through
/// Playwright. Started once for the test collection; each test opens its own browser context (its own cookies).
/// </summary>
public sealed partial class ConsoleCluster : IAsyncLifetime
{
    public const string Token = "console-test-admin-token";
    public const string AdminPassword = "first-admin-password";
    public const string OperatorUser = "olivia";
    public const string ViewerUser = "victor";
    public const string UserPassword = "a-long-password-1";
    public const string Group = "default";
    public const string Secret = "console-test-control-secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-console-").FullName;
    private readonly ProcessSet _processes = new();
    private readonly Dictionary<string, CountingBackend> _backends = new();
    private IPlaywright? _playwright;

    public int AdminPort { get; } = GatehouseProcess.FreePort();

    public string AdminUrl => $"http://127.0.0.1:{AdminPort}";

    /// <summary>The admin API as the bootstrap admin (bearer token).</summary>
    public HttpClient Admin { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>gw-1 and gw-2: (node id, traffic port, control port).</summary>
    public List<(string NodeId, int Port, int ControlPort)> Gateways { get; } = [];

    /// <summary>The folder of gw-2's plugins directory that holds no loadable plugin.</summary>
    public const string BrokenPluginFolder = "broken-plugin";

    public CountingBackend Backend(string id) => _backends[id];

    /// <summary>Where screenshots go: beside the TRX files of the test command.</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
                {
                    var path = Path.Combine(dir.FullName, "artifacts", "test-results", "console-screenshots");
                    Directory.CreateDirectory(path);
                    return path;
                }
            }

            return Directory.CreateTempSubdirectory("console-screenshots-").FullName;
        }
    }

    public async Task InitializeAsync()
    {
        Admin = new HttpClient { BaseAddress = new Uri(AdminUrl), Timeout = TimeSpan.FromSeconds(15) };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        _processes.Start("admin",
        [
            "admin",
            "--urls", AdminUrl,
            "--Gatehouse:Admin:Database", $"Data Source={Path.Combine(_dir, "admin.db")}",
            "--Gatehouse:Admin:Token", Token,
            "--Gatehouse:Admin:BootstrapPassword", AdminPassword,
            "--Gatehouse:Admin:LockoutThreshold", "3",
            "--Gatehouse:ControlSecret", Secret,
        ]);
        await WaitAsync(async () => await ProcessSet.StatusAsync(Client, AdminUrl + "/healthz") == HttpStatusCode.OK, "admin up");

        foreach (var id in new[] { "orders-1", "orders-2", "pay-1", "pay-canary", "stock-1" })
        {
            _backends[id] = await CountingBackend.StartAsync(id);
        }

        await PostAsync("/api/v1/groups", new { name = Group });
        var config = new
        {
            services = new object[]
            {
                Service("orders", "/orders/**", Node("orders-1"), Node("orders-2")),
                Service("pay", "/pay/**", Node("pay-1"), Node("pay-canary", gray: "canary")),
                Service("stock", "/stock/**", Node("stock-1")),
            },
        };
        using (var imported = await Admin.PostAsync($"/api/v1/groups/{Group}/import", Json(config)))
        {
            Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        }

        await PostAsync("/api/v1/users", new { name = OperatorUser, password = UserPassword, role = "operator" });
        await PostAsync("/api/v1/users", new { name = ViewerUser, password = UserPassword, role = "viewer" });

        // gw-2 has a plugins directory with a folder that is no plugin: the overview shows what it reports.
        var plugins = Directory.CreateDirectory(Path.Combine(_dir, "plugins-gw-2")).FullName;
        Directory.CreateDirectory(Path.Combine(plugins, BrokenPluginFolder));
        await File.WriteAllTextAsync(Path.Combine(plugins, BrokenPluginFolder, BrokenPluginFolder + ".dll"), "not an assembly");
        foreach (var nodeId in new[] { "gw-1", "gw-2" })
        {
            var (port, control) = (GatehouseProcess.FreePort(), GatehouseProcess.FreePort());
            string[] pluginArgs = nodeId == "gw-2" ? ["--plugins", plugins] : [];
            _processes.Start(nodeId,
            [
                "gateway", "--admin", AdminUrl, "--group", Group,
                "--port", port.ToString(), "--control-port", control.ToString(),
                "--listen", "127.0.0.1", "--node-id", nodeId, "--loc", "dc1",
                "--Gatehouse:ControlSecret", Secret,
                "--Gatehouse:Gateway:SnapshotPath", Path.Combine(_dir, $"snapshot-{nodeId}.json"),
                "--Gatehouse:Gateway:PullInterval", "00:00:05",
                "--Gatehouse:Gateway:HeartbeatInterval", "00:00:00.500",
                .. pluginArgs,
            ]);
            Gateways.Add((nodeId, port, control));
        }

        var version = await AdminVersionAsync();
        foreach (var gateway in Gateways)
        {
            await WaitAsync(async () => await GatewayVersionAsync(gateway.ControlPort) >= version, $"{gateway.NodeId} applied version {version}");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A fresh browser context (own cookies) at 1280×800 with a page open.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = AdminUrl,
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    /// <summary>Logs in through the login page and waits for the console shell.</summary>
    public async Task<IPage> LoginAsync(string user, string password, string path = "/")
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/login?returnUrl=" + Uri.EscapeDataString(path));
        await page.GetByLabel("User").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.GetByTestId("current-user").WaitForAsync();
        return page;
    }

    /// <summary>Saves a full-page screenshot as <paramref name="name"/>.png with the test results.</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task<long> AdminVersionAsync()
    {
        var groups = await Admin.GetFromJsonAsync<JsonElement>("/api/v1/groups");
        return groups.EnumerateArray().Single(g => g.GetProperty("name").GetString() == Group).GetProperty("version").GetInt64();
    }

    public Task<long?> GatewayVersionAsync(int controlPort) => ProcessSet.GatewayVersionAsync(Client, controlPort);

    /// <summary>The service as the API returns it.</summary>
    public Task<JsonElement> ServiceAsync(string name) => Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/services/{name}");

    public async Task PostAsync(string path, object body)
    {
        using var response = await Admin.PostAsync(path, Json(body));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public Task WaitAsync(Func<Task<bool>> condition, string what) => _processes.WaitAsync(condition, what, Patience);

    public string Logs() => _processes.Logs();

    private object Node(string id, string? gray = null) => gray is null
        ? new { id, address = _backends[id].Address, loc = "dc1" }
        : new { id, address = _backends[id].Address, loc = "dc1", gray = new[] { gray } };

    private static object Service(string name, string path, params object[] nodes) =>
        new { name, nodes, apis = new[] { new { id = "all", path } } };

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await _processes.DisposeAsync();
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync();
        }

        Admin.Dispose();
        Client.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleCluster>
{
    public const string Name = "console";
}
