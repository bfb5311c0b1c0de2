using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Admin.Tests.Infrastructure;

namespace Gatehouse.Admin.Tests.Security;

/// <summary>Creating users and their credentials through the admin API, as the tests' admin (the configured token).</summary>
internal static class UserClients
{
    /// <summary>Creates a user with a unique name and the given role; returns its name and password.</summary>
    public static async Task<(string Name, string Password)> CreateUserAsync(this AdminHost host, string role)
    {
        var name = role + "-" + Guid.NewGuid().ToString("N")[..8];
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await (await host.Client.PostAsync("/api/v1/users", AdminHost.Json($$"""{"name":"{{name}}","password":"{{password}}","role":"{{role}}"}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        return (name, password);
    }

    /// <summary>A new API token of <paramref name="user"/>, made by the admin.</summary>
    public static async Task<string> CreateTokenAsync(this AdminHost host, string user, string tokenName = "test")
    {
        var created = await (await host.Client.PostAsync($"/api/v1/users/{user}/tokens", AdminHost.Json($$"""{"name":"{{tokenName}}"}""")))
            .ReadJsonAsync(HttpStatusCode.Created);
        return created.GetProperty("token").GetString()!;
    }

    /// <summary>A client sending <paramref name="token"/>; dispose it.</summary>
    public static HttpClient WithToken(this AdminHost host, string token)
    {
        var client = new HttpClient { BaseAddress = host.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client with a new user of <paramref name="role"/> behind its token.</summary>
    public static async Task<(HttpClient Client, string Name)> ClientForRoleAsync(this AdminHost host, string role)
    {
        var (name, _) = await host.CreateUserAsync(role);
        return (host.WithToken(await host.CreateTokenAsync(name)), name);
    }

    /// <summary>Logs in; returns the response, the session cookie (name=value) when one was set, and the body.</summary>
    public static async Task<(HttpResponseMessage Response, string? Cookie, JsonElement Body)> LoginAsync(this AdminHost host, string user,
        string password)
    {
        var response = await host.Anonymous.PostAsync("/api/v1/auth/login", AdminHost.Json(JsonSerializer.Serialize(new { user, password })));
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        var cookie = response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.Select(v => v.Split(';')[0]).FirstOrDefault(v => v.StartsWith("gatehouse_session=", StringComparison.Ordinal))
            : null;
        return (response, cookie, body);
    }

    /// <summary>A request carrying a session cookie and, when given, the CSRF header.</summary>
    public static HttpRequestMessage WithSession(this HttpRequestMessage request, string cookie, string? csrf = null)
    {
        request.Headers.Add("Cookie", cookie);
        if (csrf is not null)
        {
            request.Headers.Add("X-Gatehouse-Csrf", csrf);
        }

        return request;
    }
}
