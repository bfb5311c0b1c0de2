using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatehouse.Sdk.Registry;

/// <summary>The admin's embedded registry over HTTP (<c>/api/v1/registry/instances</c>, see the admin API docs).</summary>
public sealed class HttpRegistryClient : IRegistryClient, IDisposable
{
    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <param name="address">The admin's base URL.</param>
    /// <param name="token">The registry token (or an admin token); null sends none.</param>
    /// <param name="timeout">Timeout of one call.</param>
    public HttpRegistryClient(Uri address, string? token, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(address);
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = address,
            Timeout = timeout,
        };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public async Task RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var body = new
        {
            group = instance.Group,
            service = instance.Service,
            host = instance.Host,
            port = instance.Port,
            scheme = instance.Scheme,
            weight = instance.Weight,
            loc = instance.Loc,
            gray = instance.Gray,
            version = instance.Version,
            metadata = instance.Metadata,
            healthPath = instance.HealthPath,
            apis = instance.Apis.Select(a => new { methods = a.Methods, path = a.Path, matchKind = a.MatchKind }),
        };
        using var response = await _http.PostAsJsonAsync("api/v1/registry/instances", body, _json, cancellationToken);
        await EnsureSuccessAsync(response, "register", cancellationToken);
    }

    public async Task<HeartbeatStatus> HeartbeatAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        using var response = await _http.PutAsync($"{InstancePath(instance)}/heartbeat", content: null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return HeartbeatStatus.NotRegistered;
        }

        await EnsureSuccessAsync(response, "heartbeat", cancellationToken);
        return HeartbeatStatus.Renewed;
    }

    public async Task DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        using var response = await _http.DeleteAsync(InstancePath(instance), cancellationToken);
        await EnsureSuccessAsync(response, "deregister", cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    private static string InstancePath(ServiceInstance instance) =>
        $"api/v1/registry/instances/{Uri.EscapeDataString(instance.Group)}/{Uri.EscapeDataString(instance.Service)}/{Uri.EscapeDataString(instance.NodeId)}";

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            // The admin answers problem JSON; its text (field errors included) is what the operator needs to read.
            var detail = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new RegistryException($"registry {what} failed: {(int)response.StatusCode} {detail}", response.StatusCode);
        }
    }
}

/// <summary>The registry answered, but refused the call (e.g. 400 with field errors, 401 for a wrong token).</summary>
public sealed class RegistryException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>Provides <see cref="HttpRegistryClient"/> for <see cref="GatehouseOptions.HttpRegistry"/>.</summary>
internal sealed class HttpRegistryClientProvider : IRegistryClientProvider
{
    public string Kind => GatehouseOptions.HttpRegistry;

    public IRegistryClient Create(GatehouseOptions options) =>
        new HttpRegistryClient(new Uri(options.Address.EndsWith('/') ? options.Address : options.Address + "/"), options.Token, TimeSpan.FromSeconds(5));
}
