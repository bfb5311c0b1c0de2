using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.Plugins.PluginTestKit;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

/// <summary>The built-in <c>key-auth</c> and <c>basic-auth</c> filters on a real gateway.</summary>
public class AuthPluginTests
{
    private const string ShopKey = "shop-key-3f9a1c7e5b";

    private static string HashKey(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, 10_000, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256$10000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static string Config(string address) => $$"""
        services:
          - name: keys
            nodes: [ { address: "{{address}}" } ]
            policy:
              filters:
                - name: key-auth
                  settings:
                    query: apikey
                    keys:
                      - { app: shop, key: "{{HashKey(ShopKey)}}" }
                      - { app: ops, key: "{{HashKey("ops-key-77")}}" }
            apis: [ { id: all, path: "/**" } ]
          - name: basic
            nodes: [ { address: "{{address}}" } ]
            policy:
              filters:
                - name: basic-auth
                  settings:
                    realm: orders
                    users: { alice: "{{HashPassword("correct horse")}}" }
            apis: [ { id: all, path: "/**" } ]
        """;

    [Fact]
    public async Task KeyAuth_KnownKeyFromHeaderOrQuery_ForwardedWithTheApp_OthersGet401()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using (var header = await SendAsync(gw, HttpMethod.Get, "keys", "/x", ("X-Api-Key", ShopKey), ("X-Consumer-App", "forged")))
        {
            Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        }

        using (var query = await SendAsync(gw, HttpMethod.Get, "keys", "/x?apikey=ops-key-77&a=1"))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
            Assert.Equal("b|GET|/x?a=1", await query.Content.ReadAsStringAsync()); // the key does not travel on
        }

        var seen = backend.Seen.ToArray();
        Assert.Equal("shop", seen[0].Header("X-Consumer-App"));
        Assert.Null(seen[0].Header("X-Api-Key"));
        Assert.Equal("ops", seen[1].Header("X-Consumer-App"));

        foreach (var headers in new[] { Array.Empty<(string, string)>(), [("X-Api-Key", "wrong")], [("X-Api-Key", HashKey(ShopKey))] })
        {
            using var refused = await SendAsync(gw, HttpMethod.Get, "keys", "/x", headers);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("\"code\":\"unauthorized\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(2, backend.RequestCount);
    }

    [Fact]
    public async Task BasicAuth_RightPassword_ForwardedWithTheUserNotTheCredentials_Others401WithChallenge()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));

        using (var ok = await SendAsync(gw, HttpMethod.Get, "basic", "/x", ("Authorization", Basic("alice", "correct horse"))))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var seen = Assert.Single(backend.Seen);
        Assert.Equal("alice", seen.Header("X-Consumer-User"));
        Assert.Null(seen.Header("Authorization"));

        foreach (var authorization in new[] { null, Basic("alice", "wrong"), Basic("mallory", "correct horse") })
        {
            using var refused = authorization is null
                ? await SendAsync(gw, HttpMethod.Get, "basic", "/x")
                : await SendAsync(gw, HttpMethod.Get, "basic", "/x", ("Authorization", authorization));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic realm=\"orders\", charset=\"UTF-8\"", Header(refused, "WWW-Authenticate"));
        }

        Assert.Equal(1, backend.RequestCount);
    }

    [Fact]
    public async Task PlainSecretsInConfig_Refused()
    {
        await using var backend = await EchoBackend.StartAsync("b");
        await using var gw = await GatewayTestHost.StartAsync(Config(backend.Address));
        var (before, _) = await gw.GetVersionAsync();

        await gw.WriteConfigAsync(Config(backend.Address)
            .Replace(HashKey(ShopKey), ShopKey, StringComparison.Ordinal)
            .Replace("users: { alice: \"pbkdf2", "users: { bob: \"hunter2\", alice: \"pbkdf2", StringComparison.Ordinal));
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Entries.Any(e => e.EventId.Id == 3101)), TimeSpan.FromSeconds(10),
            "the config with plain secrets was not refused");

        var message = gw.Logs.Entries.First(e => e.EventId.Id == 3101).Message;
        Assert.Contains("services[keys].policy.filters[0].settings.keys[0].key: expected 'sha256:'", message, StringComparison.Ordinal);
        Assert.Contains("services[basic].policy.filters[0].settings.users[bob]: expected a password hash", message, StringComparison.Ordinal);
        Assert.Equal(before, (await gw.GetVersionAsync()).Version);
    }
}
