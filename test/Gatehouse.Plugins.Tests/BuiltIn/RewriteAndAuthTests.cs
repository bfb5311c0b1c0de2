using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Plugins.Tests.BuiltIn;

/// <summary>The <c>rewrite</c>, <c>key-auth</c> and <c>basic-auth</c> built-ins: settings checks and behaviour on one request.</summary>
public class RewriteAndAuthTests
{
    internal const string AlicePassword = "correct horse";

    /// <summary>A PBKDF2 hash of <paramref name="password"/> as basic-auth stores it (the minimum iterations keep tests fast).</summary>
    internal static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, 10_000, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256$10000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    internal static string HashKey(string key) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static IGatewayPluginFactory Factory(string name)
    {
        Assert.True(PluginCatalog.BuiltIn.TryGet(name, out var factory));
        return factory;
    }

    private static IReadOnlyList<PluginSettingError> Validate(string plugin, string? settings) =>
        Factory(plugin).Validate(settings is null ? default : JsonDocument.Parse(settings).RootElement);

    public static TheoryData<string, string> Good => new()
    {
        { "rewrite", """{"from":"/users/{id}/orders/{*rest}","to":"/v2/orders/{rest}/by/{id}"}""" },
        { "rewrite", """{"regex":"^/api/(?<rest>.*)$","replacement":"/${rest}","query":{"remove":["debug"]}}""" },
        { "rewrite", """{"query":{"add":{"source":"gateway"}}}""" },
        { "key-auth", $$"""{"keys":[{"app":"shop","key":"{{HashKey("k1")}}"}],"query":"apikey"}""" },
        { "basic-auth", $$"""{"users":{"alice":"{{HashPassword("x")}}"},"realm":"orders","hideCredentials":false}""" },
    };

    [Theory]
    [MemberData(nameof(Good))]
    public void Validate_Good_NoErrors(string plugin, string settings) => Assert.Empty(Validate(plugin, settings));

    [Theory]
    [InlineData("rewrite", null, "", "expected a mapping")]
    [InlineData("rewrite", """{}""", "", "nothing to rewrite")]
    [InlineData("rewrite", """{"from":"/a/{id}"}""", "to", "go together")]
    [InlineData("rewrite", """{"from":"/a/{id}","to":"/b/{name}"}""", "to", "'{name}' is not a variable of from")]
    [InlineData("rewrite", """{"from":"/a/{*rest}/b","to":"/b"}""", "from", "must be the last segment")]
    [InlineData("rewrite", """{"from":"a","to":"/b"}""", "from", "must start with '/'")]
    [InlineData("rewrite", """{"from":"/a/{id}","to":"/b?id={id}"}""", "to", "add query parameters with query.add")]
    [InlineData("rewrite", """{"regex":"^/(unclosed","replacement":"/x"}""", "regex", "not a valid regular expression")]
    [InlineData("rewrite", """{"regex":"^/(a)$","replacement":"/$2"}""", "replacement", "names no group")]
    [InlineData("rewrite", """{"from":"/a","to":"/b","regex":"a","replacement":"b"}""", "", "not both")]
    [InlineData("key-auth", """{"keys":[{"app":"shop","key":"plain-text-key"}]}""", "keys[0].key", "never the key itself")]
    [InlineData("key-auth", """{"keys":[]}""", "keys", "at least one entry")]
    [InlineData("basic-auth", """{"users":{"alice":"secret"}}""", "users[alice]", "never a password")]
    [InlineData("basic-auth", """{"users":{"alice":"pbkdf2-sha256$1000$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=="}}""", "users[alice]", "at least 10000")]
    [InlineData("basic-auth", """{}""", "users", "at least one user")]
    public void Validate_Bad_ErrorOnField(string plugin, string? settings, string field, string message)
    {
        var error = Assert.Single(Validate(plugin, settings));

        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"from":"/users/{id}/orders/{*rest}","to":"/v2/orders/{rest}/by/{id}"}""", "/users/7/orders/9/items", "", "/v2/orders/9/items/by/7", "")]
    [InlineData("""{"from":"/users/{id}/orders/{*rest}","to":"/v2/orders/{rest}"}""", "/users/7/orders", "", "/v2/orders", "")]
    [InlineData("""{"from":"/users/{id}","to":"/v2/{id}"}""", "/other/7", "?a=1", "/other/7", "?a=1")]
    [InlineData("""{"regex":"^/api/v1/(.*)$","replacement":"/$1"}""", "/api/v1/orders/3", "", "/orders/3", "")]
    [InlineData("""{"query":{"remove":["debug","trace"],"add":{"source":"gateway x"}}}""", "/a", "?debug=1&keep=2&trace", "/a", "?keep=2&source=gateway%20x")]
    public async Task Rewrite_PathAndQuery(string settings, string path, string query, string expectedPath, string expectedQuery)
    {
        var filter = Factory("rewrite").Create(JsonDocument.Parse(settings).RootElement);
        var http = new DefaultHttpContext();
        http.Request.Path = path;
        http.Request.QueryString = new QueryString(query.Length == 0 ? null : query);

        Assert.Null(await filter.OnRequestAsync(new PluginContext(http, "s", "a", null)));

        Assert.Equal(expectedPath, http.Request.Path.Value);
        Assert.Equal(expectedQuery, http.Request.QueryString.Value ?? "");
    }

    [Fact]
    public async Task BasicAuth_GoodPasswordPasses_WrongOrMissingGets401WithChallenge()
    {
        var filter = Factory("basic-auth").Create(JsonDocument.Parse($$"""{"users":{"alice":"{{HashPassword(AlicePassword)}}"},"realm":"orders"}""").RootElement);

        async Task<(PluginResponse? Answer, HttpContext Http)> SendAsync(string? authorization)
        {
            var http = new DefaultHttpContext();
            if (authorization is not null)
            {
                http.Request.Headers.Authorization = authorization;
            }

            return (await filter.OnRequestAsync(new PluginContext(http, "s", "a", null)), http);
        }

        static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

        for (var i = 0; i < 2; i++)
        {
            // Twice: the second check is answered from the cache of verified credentials.
            var (ok, http) = await SendAsync(Basic("alice", AlicePassword));
            Assert.Null(ok);
            Assert.False(http.Request.Headers.ContainsKey("Authorization"));
            Assert.Equal("alice", http.Request.Headers["X-Consumer-User"].ToString());
        }

        foreach (var bad in new[] { null, Basic("alice", "wrong"), Basic("bob", AlicePassword), "Basic !!!", "Bearer abc" })
        {
            var (refused, _) = await SendAsync(bad);
            Assert.Equal(401, refused!.Status);
            Assert.Contains(refused.Headers, h => h.Key == "WWW-Authenticate" && h.Value.StartsWith("Basic realm=\"orders\"", StringComparison.Ordinal));
        }
    }
}
