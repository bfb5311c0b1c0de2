using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Bench.ConsoleLoad;

/// <summary>
/// The data the console is measured with: one group of <c>services</c> services named <c>svc-0000</c>…, each with
/// <c>apis</c> APIs (<c>api-0</c>…, own path prefixes) and two manual nodes, imported in one
/// <c>POST /api/v1/groups/{group}/import</c>, the way an operator moves an existing config in.
/// </summary>
internal static class Seeder
{
    public static string ServiceName(int index) => $"svc-{index:D4}";

    public static async Task SeedAsync(HttpClient admin, string group, int services, int apis, CancellationToken ct)
    {
        await EnsureAsync(await admin.PostAsync("/api/v1/groups", Json(new { name = group }), ct), "create the group", ct);
        var config = new
        {
            services = Enumerable.Range(0, services).Select(i =>
            {
                var name = ServiceName(i);
                return new
                {
                    name,
                    // The nodes point at a closed loopback port: nothing proxies in this harness, the admin only stores them.
                    nodes = new[]
                    {
                        new { id = name + "-a", address = $"http://127.0.0.1:{10000 + i}", loc = "dc1" },
                        new { id = name + "-b", address = $"http://127.0.0.2:{10000 + i}", loc = "dc2" },
                    },
                    apis = Enumerable.Range(0, apis).Select(j => new { id = $"api-{j}", path = $"/{name}/r{j}/**", methods = new[] { "GET", "POST" } }),
                };
            }),
        };
        await EnsureAsync(await admin.PostAsync($"/api/v1/groups/{group}/import", Json(config), ct), "import", ct);

        var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/groups/{group}/services?limit=1", ct);
        var total = page.GetProperty("total").GetInt32();
        if (total != services)
        {
            throw new InvalidOperationException($"the group holds {total} services after the import, not {services}");
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
    }
}
