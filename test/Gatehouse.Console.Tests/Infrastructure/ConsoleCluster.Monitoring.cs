using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Console.Tests.Infrastructure;

/// <summary>Traffic, statistics and account helpers of the traffic, alerts, users and account tests.</summary>
public sealed partial class ConsoleCluster
{
    /// <summary>
    /// Sends <paramref name="perGateway"/> GETs of <paramref name="path"/> for <paramref name="service"/> (named in the
    /// <c>serviceName</c> header) through each gateway's traffic port; all must be 200.
    /// </summary>
    public async Task SendThroughGatewaysAsync(string service, string path, int perGateway)
    {
        foreach (var gateway in Gateways)
        {
            for (var i = 0; i < perGateway; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{gateway.Port}{path}");
                request.Headers.Add("serviceName", service);
                using var response = await Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }

    /// <summary>Requests of <paramref name="service"/> the admin's statistics show over the last <paramref name="window"/>.</summary>
    public async Task<long> StatsRequestsAsync(string service, string window = "15m")
    {
        var stats = await Admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{Group}/stats?window={window}&service={service}");
        return stats.GetProperty("total").GetProperty("requests").GetInt64();
    }

    /// <summary>A client logged in through the API as <paramref name="user"/> (session cookie and CSRF header), as a browser script would be.</summary>
    public async Task<HttpClient> SessionClientAsync(string user, string password)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri(AdminUrl),
            Timeout = TimeSpan.FromSeconds(15),
        };
        using var login = await client.PostAsync("/api/v1/auth/login", Json(new { user, password }));
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(login.IsSuccessStatusCode, body.ToString());
        client.DefaultRequestHeaders.Add("X-Gatehouse-Csrf", body.GetProperty("csrfToken").GetString());
        return client;
    }

    /// <summary>The user as <c>GET /api/v1/users/{name}</c> answers it; null when it does not exist.</summary>
    public async Task<JsonElement?> UserAsync(string name)
    {
        using var response = await Admin.GetAsync($"/api/v1/users/{name}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.True(response.IsSuccessStatusCode, $"user {name}: {(int)response.StatusCode}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Status of a login attempt through the API (200 or 401), e.g. to lock a user or check a password.</summary>
    public async Task<HttpStatusCode> TryLoginAsync(string user, string password)
    {
        using var response = await Client.PostAsync(AdminUrl + "/api/v1/auth/login", Json(new { user, password }));
        return response.StatusCode;
    }
}
