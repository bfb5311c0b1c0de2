using Gatehouse.Gateway.FunctionalTests.Infrastructure;

namespace Gatehouse.Gateway.FunctionalTests.Plugins;

internal static class PluginTestKit
{
    /// <summary>Sends a request for <paramref name="service"/> with extra headers (name, value pairs).</summary>
    public static async Task<HttpResponseMessage> SendAsync(GatewayTestHost gw, HttpMethod method, string service, string path,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("serviceName", service);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await gw.Client.SendAsync(request);
    }

    /// <summary>The response header's values joined with ", ", or null when absent (content headers included).</summary>
    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;
}
