using System.Net;
using System.Text.RegularExpressions;
using Gatehouse.Admin.Security;
using Gatehouse.Admin.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>Roles on every endpoint, found by enumerating the admin's endpoints rather than listing them by hand.</summary>
public abstract partial class RoleEnforcementTests(AdminFixture fixture)
{
    private AdminHost Host => fixture.Host;

    [Fact]
    public void EveryEndpoint_DeclaresARoleOrIsExplicitlyAnonymous_AndOnlyTheKnownOnesAreAnonymous()
    {
        var endpoints = Endpoints(Host);
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints found");
        var undeclared = endpoints.Where(e => e.Metadata.GetMetadata<AdminRoleRequirement>() is null
            && e.Metadata.GetMetadata<AdminAnonymous>() is null).Select(Describe).ToList();
        Assert.Empty(undeclared);

        // The console's pages, hub and assets are open (their data comes from the API as the user), never under /api.
        var console = endpoints.Where(e => e.Metadata.GetMetadata<AdminAnonymous>()?.Reason.StartsWith("the console", StringComparison.Ordinal) == true)
            .Select(e => e.RoutePattern.RawText ?? "").ToList();
        Assert.Contains("/", console);
        Assert.Contains("/services/{Name}", console);
        Assert.DoesNotContain(console, path => path.StartsWith("/api", StringComparison.Ordinal));

        var anonymous = endpoints.Where(e => e.Metadata.GetMetadata<AdminAnonymous>() is { } a && !a.Reason.StartsWith("the console", StringComparison.Ordinal))
            .Select(e => e.RoutePattern.RawText!).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.All(anonymous, path => Assert.True(
            path is "/healthz" or "/api/v1/auth/login" || path.StartsWith("/openapi/", StringComparison.Ordinal)
            || path.StartsWith("/api/v1/gateway/", StringComparison.Ordinal), $"unexpected anonymous endpoint {path}"));
    }

    [Fact]
    public async Task NoEndpoint_AnswersWithoutCredentials()
    {
        foreach (var (endpoint, method) in Calls(Host).Where(c => c.Endpoint.Metadata.GetMetadata<AdminAnonymous>() is null))
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(endpoint));
            using var response = await Host.Anonymous.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {Concrete(endpoint)} answered {(int)response.StatusCode}");
            if (method != "HEAD")
            {
                await response.ReadProblemAsync(HttpStatusCode.Unauthorized);
            }
        }

        // A bad token is no better than none, and so is an unknown path under /api.
        using var bad = Host.WithToken("not-a-token");
        await (await bad.GetAsync("/api/v1/groups")).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await Host.Anonymous.GetAsync("/api/v1/no-such-thing")).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Viewer_ReadsEverything_ButEveryUnsafeEndpointIsForbidden()
    {
        var (viewer, _) = await Host.ClientForRoleAsync("viewer");
        using var _client = viewer;
        var group = await Host.CreateGroupAsync();
        await (await viewer.GetAsync($"/api/v1/groups/{group}/services")).ReadJsonAsync(HttpStatusCode.OK);
        await (await viewer.GetAsync("/api/v1/audit")).ReadJsonAsync(HttpStatusCode.OK);

        var unsafeCalls = Calls(Host).Where(c => c.Endpoint.Metadata.GetMetadata<AdminAnonymous>() is null && !IsSafe(c.Method)
            && !c.Endpoint.RoutePattern.RawText!.StartsWith("/api/v1/auth/", StringComparison.Ordinal)).ToList();

        // The one POST a viewer may make is explain: it only reads (it asks a gateway where a request would go).
        var viewerPosts = unsafeCalls.Where(c => c.Endpoint.Metadata.GetMetadata<AdminRoleRequirement>()!.For(c.Method) == AdminRole.Viewer)
            .Select(c => c.Endpoint.RoutePattern.RawText).ToList();
        Assert.Equal(["/api/v1/groups/{group}/explain"], viewerPosts);
        var writes = unsafeCalls.Where(c => c.Endpoint.Metadata.GetMetadata<AdminRoleRequirement>()!.For(c.Method) != AdminRole.Viewer).ToList();
        Assert.Contains(writes, c => c.Endpoint.RoutePattern.RawText!.EndsWith("/debug-tokens", StringComparison.Ordinal));
        Assert.Contains(writes, c => c.Endpoint.RoutePattern.RawText!.Contains("/rollback", StringComparison.Ordinal));
        Assert.Contains(writes, c => c.Endpoint.RoutePattern.RawText!.StartsWith("/api/v1/registry/", StringComparison.Ordinal));
        foreach (var (endpoint, method) in writes)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(endpoint, group));
            var problem = await (await viewer.SendAsync(request)).ReadProblemAsync(HttpStatusCode.Forbidden);
            Assert.Contains("needs the role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // Nothing was changed by any of them.
        Assert.Equal(1, await Host.VersionCountAsync(group));
    }

    [Fact]
    public async Task Operator_WritesConfig_ButCannotManageUsers()
    {
        var (client, name) = await Host.ClientForRoleAsync("operator");
        using var operatorClient = client;
        var group = "g-" + Guid.NewGuid().ToString("N")[..10];
        await (await client.PostAsync("/api/v1/groups", AdminHost.Json($$"""{"name":"{{group}}"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        var userCalls = Calls(Host).Where(c => c.Endpoint.RoutePattern.RawText!.StartsWith("/api/v1/users", StringComparison.Ordinal)).ToList();
        Assert.True(userCalls.Count >= 10, $"only {userCalls.Count} user endpoints");
        foreach (var (endpoint, method) in userCalls)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), Concrete(endpoint, group, user: name));
            await (await client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.Forbidden);
        }

        // Its own account is its own business: it may make itself a token, but not raise its role.
        await (await client.PostAsync("/api/v1/auth/tokens", AdminHost.Json("""{"name":"ci"}"""))).ReadJsonAsync(HttpStatusCode.Created);
        await (await client.PatchAsync($"/api/v1/users/{name}", AdminHost.Json("""{"role":"admin"}"""))).ReadProblemAsync(HttpStatusCode.Forbidden);
        var me = await (await client.GetAsync("/api/v1/auth/me")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("operator", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task ConfiguredAdminToken_IsTheBootstrapAdmin()
    {
        var me = await (await Host.Client.GetAsync("/api/v1/auth/me")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", me.GetProperty("user").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.Equal("token", me.GetProperty("authenticatedBy").GetString());
    }

    internal static IReadOnlyList<RouteEndpoint> Endpoints(AdminHost host) =>
        host.GetService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    private static IEnumerable<(RouteEndpoint Endpoint, string Method)> Calls(AdminHost host) =>
        Endpoints(host).SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (e, m)));

    private static bool IsSafe(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    /// <summary>The endpoint's path with its parameters filled in: numbers where the route constrains them to one.</summary>
    private static string Concrete(RouteEndpoint endpoint, string group = "g-none", string user = "nobody") =>
        Parameter().Replace(endpoint.RoutePattern.RawText!, m => m.Groups[1].Value switch
        {
            _ when m.Value.Contains(":long", StringComparison.Ordinal) => "1",
            "group" => group,
            "name" when endpoint.RoutePattern.RawText!.StartsWith("/api/v1/users", StringComparison.Ordinal) => user,
            "documentName" => "v1",
            _ => "x",
        });

    private static string Describe(RouteEndpoint e) =>
        $"{string.Join(",", e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}";

    [GeneratedRegex(@"\{([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}

public sealed class RoleEnforcementTestsSqlite(SqliteAdmin fixture) : RoleEnforcementTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class RoleEnforcementTestsPostgres(PostgresAdmin fixture) : RoleEnforcementTests(fixture), IClassFixture<PostgresAdmin>;
