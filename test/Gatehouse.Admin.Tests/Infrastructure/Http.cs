using System.Net;
using System.Text.Json;

namespace Gatehouse.Admin.Tests.Infrastructure;

/// <summary>Small helpers for reading admin responses.</summary>
internal static class Http
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts a problem JSON response with <paramref name="expected"/> status and returns it.</summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.ReadJsonAsync(expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static HttpRequestMessage WithRevision(this HttpRequestMessage request, long revision)
    {
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{revision}\"");
        return request;
    }

    public static async Task<long> VersionCountAsync(this AdminHost host, string group)
    {
        var page = await (await host.Client.GetAsync($"/api/v1/groups/{group}/versions")).ReadJsonAsync(HttpStatusCode.OK);
        return page.GetProperty("total").GetInt64();
    }

    public static string Service(string name, int weight = 100, string path = "/orders") => $$"""
        {"name":"{{name}}","nodes":[{"id":"{{name}}-1","address":"http://127.0.0.1:5101","weight":{{weight}}}],
         "apis":[{"id":"list","methods":["GET"],"path":"{{path}}"}]}
        """;
}
