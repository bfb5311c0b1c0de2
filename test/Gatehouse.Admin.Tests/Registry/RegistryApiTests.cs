using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Admin.Registry;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Admin.Tests.Registry;

/// <summary>The embedded registry on a real admin whose wall clock the test moves (TTL 15 s, grace 60 s, sweeps by hand).</summary>
public abstract class RegistryApiTests(AdminFixture fixture) : IAsyncLifetime
{
    private const string RegistryToken = "test-registry-token";
    private readonly ManualClock _clock = new();
    private AdminHost _host = null!;
    private HttpClient _registry = null!;

    public async Task InitializeAsync()
    {
        _host = await fixture.StartAdminAsync(builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gatehouse:Admin:RegistryToken"] = RegistryToken,
                ["Gatehouse:Admin:RegistryLeaseTtl"] = "00:00:15",
                ["Gatehouse:Admin:RegistryExpiredGrace"] = "00:01:00",
                // The test sweeps by hand; the background sweeper must not race it.
                ["Gatehouse:Admin:RegistrySweepInterval"] = "1.00:00:00",
            });
            builder.Services.AddSingleton<TimeProvider>(_clock);
        });
        _registry = new HttpClient { BaseAddress = _host.Address };
        _registry.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RegistryToken);
    }

    public async Task DisposeAsync()
    {
        _registry.Dispose();
        await _host.DisposeAsync();
    }

    private static string Registration(string group, int port = 5301, string service = "orders", int weight = 100, string apis = """
        [{"methods":["GET"],"path":"/orders/{id}"},{"methods":["DELETE"],"path":"/orders/{id}"},{"methods":["POST"],"path":"/orders"}]
        """) =>
        $$"""
        {"group":"{{group}}","service":"{{service}}","host":"127.0.0.1","port":{{port}},"weight":{{weight}},"loc":"dc1",
         "version":"1.2.3","metadata":{"team":"shop"},"healthPath":"/healthz","apis":{{apis}}}
        """;

    private Task<HttpResponseMessage> RegisterAsync(string body, HttpClient? client = null) =>
        (client ?? _registry).PostAsync("/api/v1/registry/instances", AdminHost.Json(body));

    private async Task<JsonElement> ServiceAsync(string group, string service = "orders") =>
        (await (await _host.Client.GetAsync($"/api/v1/groups/{group}/services/{service}")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("service");

    private Task SweepAsync() => _host.GetService<RegistrySweeper>().SweepOnceAsync(CancellationToken.None);

    [Fact]
    public async Task Register_CreatesServiceWithSdkNodeAndApis_AgainIsNoNewVersion()
    {
        var group = await _host.CreateGroupAsync();
        var first = await (await RegisterAsync(Registration(group))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(first.GetProperty("changed").GetBoolean());
        Assert.Equal("127.0.0.1:5301", first.GetProperty("nodeId").GetString());

        var service = await ServiceAsync(group);
        var node = Assert.Single(service.GetProperty("nodes").EnumerateArray());
        Assert.Equal("http://127.0.0.1:5301", node.GetProperty("address").GetString());
        Assert.Equal("sdk", node.GetProperty("source").GetString());
        Assert.Equal("1.2.3", node.GetProperty("metadata").GetProperty("gatehouse.registry.version").GetString());
        var apis = service.GetProperty("apis").EnumerateArray()
            .Select(a => (a.GetProperty("path").GetString(), string.Join(',', a.GetProperty("methods").EnumerateArray().Select(m => m.GetString())))).ToList();
        Assert.Equal([("/orders/{id}", "DELETE,GET"), ("/orders", "POST")], apis);
        var versions = await _host.VersionCountAsync(group);

        var again = await (await RegisterAsync(Registration(group))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(again.GetProperty("changed").GetBoolean());
        Assert.Equal(versions, await _host.VersionCountAsync(group));

        var heavier = await (await RegisterAsync(Registration(group, weight: 50))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(heavier.GetProperty("changed").GetBoolean());
        Assert.Equal(50, Assert.Single((await ServiceAsync(group)).GetProperty("nodes").EnumerateArray()).GetProperty("weight").GetInt32());
        Assert.Equal(versions + 1, await _host.VersionCountAsync(group));
    }

    [Fact]
    public async Task Heartbeats_CreateNoVersions_UnknownNode404()
    {
        var group = await _host.CreateGroupAsync();
        await (await RegisterAsync(Registration(group))).ReadJsonAsync(HttpStatusCode.OK);
        var versions = await _host.VersionCountAsync(group);

        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(10));
            await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null)).ReadJsonAsync(HttpStatusCode.OK);
            await SweepAsync();
        }

        // 100 s passed, far past the 15 s TTL, but every heartbeat came within it: nothing expired, nothing published.
        Assert.Equal(versions, await _host.VersionCountAsync(group));
        await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:9999/heartbeat", null))
            .ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MissedHeartbeats_ExpiredThenRemovedAfterGrace_ReRegisterRevives()
    {
        var group = await _host.CreateGroupAsync();
        await (await RegisterAsync(Registration(group, 5301))).ReadJsonAsync(HttpStatusCode.OK);
        await (await RegisterAsync(Registration(group, 5302))).ReadJsonAsync(HttpStatusCode.OK);
        var versions = await _host.VersionCountAsync(group);

        _clock.Advance(TimeSpan.FromSeconds(10));
        await SweepAsync();
        Assert.Equal(versions, await _host.VersionCountAsync(group)); // within the TTL

        _clock.Advance(TimeSpan.FromSeconds(6));
        await SweepAsync();
        var nodes = (await ServiceAsync(group)).GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("expired", n.GetProperty("metadata").GetProperty("gatehouse.registry.state").GetString()));
        Assert.All(nodes, n => Assert.True(n.GetProperty("online").GetBoolean())); // the operator's switch is untouched
        Assert.Equal(versions + 1, await _host.VersionCountAsync(group)); // both expiries in one version
        await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null))
            .ReadProblemAsync(HttpStatusCode.NotFound);

        // 5301 comes back (its SDK re-registers after the 404); 5302 stays silent.
        await (await RegisterAsync(Registration(group, 5301))).ReadJsonAsync(HttpStatusCode.OK);
        var revived = (await ServiceAsync(group)).GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("address").GetString()!.EndsWith("5301"));
        Assert.False(revived.GetProperty("metadata").TryGetProperty("gatehouse.registry.state", out _));

        _clock.Advance(TimeSpan.FromSeconds(14));
        await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null)).ReadJsonAsync(HttpStatusCode.OK);
        _clock.Advance(TimeSpan.FromSeconds(47)); // 61 s since 5302 expired
        await SweepAsync();
        var left = Assert.Single((await ServiceAsync(group)).GetProperty("nodes").EnumerateArray());
        Assert.Equal("http://127.0.0.1:5301", left.GetProperty("address").GetString());
    }

    [Fact]
    public async Task Deregister_RemovesNodeAtOnce_AgainIsNoChange()
    {
        var group = await _host.CreateGroupAsync();
        await (await RegisterAsync(Registration(group, 5301))).ReadJsonAsync(HttpStatusCode.OK);
        await (await RegisterAsync(Registration(group, 5302))).ReadJsonAsync(HttpStatusCode.OK);
        var versions = await _host.VersionCountAsync(group);

        var removed = await (await _registry.DeleteAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(removed.GetProperty("removed").GetBoolean());
        Assert.Equal(versions + 1, await _host.VersionCountAsync(group));
        Assert.Equal("http://127.0.0.1:5302", Assert.Single((await ServiceAsync(group)).GetProperty("nodes").EnumerateArray()).GetProperty("address").GetString());
        await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null))
            .ReadProblemAsync(HttpStatusCode.NotFound);

        var again = await (await _registry.DeleteAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(again.GetProperty("removed").GetBoolean());
        Assert.Equal(versions + 1, await _host.VersionCountAsync(group));
    }

    [Fact]
    public async Task OperatorOffline_SurvivesReRegistrationHeartbeatsAndRedeploy()
    {
        var group = await _host.CreateGroupAsync();
        await (await RegisterAsync(Registration(group))).ReadJsonAsync(HttpStatusCode.OK);
        var revision = (await (await _host.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK))
            .GetProperty("revision").GetInt64();
        await (await _host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/groups/{group}/services/orders/nodes/127.0.0.1:5301/offline")
            .WithRevision(revision))).ReadJsonAsync(HttpStatusCode.OK);

        async Task<bool> OnlineAsync() => Assert.Single((await ServiceAsync(group)).GetProperty("nodes").EnumerateArray()).GetProperty("online").GetBoolean();

        await (await RegisterAsync(Registration(group, weight: 70))).ReadJsonAsync(HttpStatusCode.OK);
        await (await _registry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(await OnlineAsync());

        // A redeploy: the old process deregisters, the new one registers the same host:port.
        await (await _registry.DeleteAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301")).ReadJsonAsync(HttpStatusCode.OK);
        await (await RegisterAsync(Registration(group))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(await OnlineAsync());
    }

    [Fact]
    public async Task TwoAdminsOnOneStore_ConcurrentRegistrations_NoDuplicatesAndBothSeeHeartbeats()
    {
        var group = await _host.CreateGroupAsync();
        var sibling = await _host.StartSiblingAsync();
        try
        {
            using var siblingRegistry = new HttpClient { BaseAddress = sibling.Address };
            siblingRegistry.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RegistryToken);
            var calls = Enumerable.Range(0, 6).SelectMany(i => new[]
            {
                RegisterAsync(Registration(group, 5301 + i)),
                RegisterAsync(Registration(group, 5301 + i), siblingRegistry),
            }).ToList();
            foreach (var response in await Task.WhenAll(calls))
            {
                await response.ReadJsonAsync(HttpStatusCode.OK);
            }

            var nodes = (await ServiceAsync(group)).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("address").GetString()).ToList();
            Assert.Equal(6, nodes.Count);
            Assert.Equal(6, nodes.Distinct().Count());
            Assert.Equal(2, (await ServiceAsync(group)).GetProperty("apis").GetArrayLength()); // GET+DELETE share one path

            // A heartbeat through one admin keeps the lease alive for the other's sweep.
            _clock.Advance(TimeSpan.FromSeconds(10));
            await (await siblingRegistry.PutAsync($"/api/v1/registry/instances/{group}/orders/127.0.0.1:5301/heartbeat", null)).ReadJsonAsync(HttpStatusCode.OK);
            _clock.Advance(TimeSpan.FromSeconds(10));
            await SweepAsync();
            await sibling.GetService<RegistrySweeper>().SweepOnceAsync(CancellationToken.None);
            var states = (await ServiceAsync(group)).GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("address").GetString()!, n => n.GetProperty("metadata").TryGetProperty("gatehouse.registry.state", out _));
            Assert.False(states["http://127.0.0.1:5301"]);
            Assert.Equal(5, states.Values.Count(expired => expired));
        }
        finally
        {
            await sibling.StopAsync();
        }
    }

    [Fact]
    public async Task TwoAdminsOnOneStore_ManyInterleavedWrites_NoneLost()
    {
        // Each admin serialises its own writes, so only writes through different admins can interleave; many small
        // ones make the window between one admin's reads and the other's commit likely to be hit in every run.
        var group = await _host.CreateGroupAsync();
        var sibling = await _host.StartSiblingAsync();
        try
        {
            using var siblingRegistry = new HttpClient { BaseAddress = sibling.Address };
            siblingRegistry.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RegistryToken);
            const int PerAdmin = 24;
            var calls = Enumerable.Range(0, PerAdmin).SelectMany(i => new[]
            {
                RegisterAsync(Registration(group, 6000 + i)),
                RegisterAsync(Registration(group, 7000 + i), siblingRegistry),
            }).ToList();
            foreach (var response in await Task.WhenAll(calls))
            {
                await response.ReadJsonAsync(HttpStatusCode.OK);
            }

            var nodes = (await ServiceAsync(group)).GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("address").GetString()).ToHashSet();
            var missing = Enumerable.Range(0, PerAdmin).SelectMany(i => new[] { $"http://127.0.0.1:{6000 + i}", $"http://127.0.0.1:{7000 + i}" })
                .Where(a => !nodes.Contains(a)).ToList();
            Assert.True(missing.Count == 0, "lost registrations: " + string.Join(", ", missing));
        }
        finally
        {
            await sibling.StopAsync();
        }
    }

    [Fact]
    public async Task BadInput_400WithFieldErrors_NothingPublished()
    {
        var group = await _host.CreateGroupAsync();
        var versions = await _host.VersionCountAsync(group);

        async Task<JsonElement> ErrorsAsync(string body) =>
            (await (await RegisterAsync(body)).ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");

        var many = await ErrorsAsync($$"""{"group":"{{group}}","host":"not a host!","port":70000,"weight":-1,"apis":[{"path":"no-slash"}]}""");
        Assert.True(many.TryGetProperty("service", out _), many.ToString());
        Assert.True(many.TryGetProperty("host", out _), many.ToString());
        Assert.True(many.TryGetProperty("port", out _), many.ToString());
        Assert.True(many.TryGetProperty("weight", out _), many.ToString());
        Assert.True(many.TryGetProperty("apis[0].path", out _), many.ToString());
        Assert.True((await ErrorsAsync(Registration(group, weight: 10_001))).TryGetProperty("weight", out _));
        Assert.True((await ErrorsAsync(Registration(group, port: 0))).TryGetProperty("port", out _));
        var unknown = await ErrorsAsync(Registration("no-such-group"));
        Assert.Contains("does not exist", unknown.GetProperty("group")[0].GetString());
        Assert.True((await ErrorsAsync("""{"group":"x","unexpected":1}""")).TryGetProperty("unexpected", out _));
        Assert.Equal(versions, await _host.VersionCountAsync(group));
    }

    [Fact]
    public async Task ReportedApis_MergeIntoOperatorApis_WithoutOverlap()
    {
        var group = await _host.CreateGroupAsync();
        await (await _host.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json("""
            {"name":"orders","apis":[{"id":"list","methods":["GET"],"path":"/orders"},{"id":"create","methods":["POST"],"path":"/orders"}]}
            """))).ReadJsonAsync(HttpStatusCode.Created);

        await (await RegisterAsync(Registration(group, apis: """
            [{"methods":["GET","POST","PUT"],"path":"/orders"},{"path":"/files/**"}]
            """))).ReadJsonAsync(HttpStatusCode.OK);

        var apis = (await ServiceAsync(group)).GetProperty("apis").EnumerateArray()
            .Select(a => $"{a.GetProperty("id").GetString()} {string.Join(',', a.GetProperty("methods").EnumerateArray().Select(m => m.GetString()))} {a.GetProperty("path").GetString()}")
            .ToList();
        Assert.Equal(["list GET,PUT /orders", "create POST /orders", "files-rest  /files/**"], apis);

        // The API the registry added says it came from the SDK; the operator's keep no source (written by hand).
        var sources = (await ServiceAsync(group)).GetProperty("apis").EnumerateArray()
            .Select(a => a.TryGetProperty("source", out var source) ? source.GetString() : null).ToList();
        Assert.Equal([null, null, "sdk"], sources);
    }

    [Fact]
    public async Task RegistryToken_OnlyOpensTheRegistry_AdminTokenAlsoAccepted()
    {
        var group = await _host.CreateGroupAsync();
        await (await RegisterAsync(Registration(group), _host.Anonymous)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await RegisterAsync(Registration(group), _host.Client)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _registry.GetAsync($"/api/v1/groups/{group}/services")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }
}

public sealed class RegistryApiTestsSqlite(SqliteAdmin fixture) : RegistryApiTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class RegistryApiTestsPostgres(PostgresAdmin fixture) : RegistryApiTests(fixture), IClassFixture<PostgresAdmin>;
