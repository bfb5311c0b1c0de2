using Gatehouse.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Filters.Plugins.Loading;

/// <summary>
/// <c>GET /control/plugins</c>: the plugins directory, every plugin folder with its state (<c>loaded</c>, <c>failed</c>
/// with the error, <c>removed</c> while still named by config) and the version in force, the names the gateway knows,
/// and the load contexts of replaced and removed versions with whether they have been collected yet.
/// </summary>
internal sealed class PluginsEndpoint(PluginRegistry registry, IOptions<GatewayOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var (plugins, retired) = registry.Snapshot();
        return ControlEndpoints.WriteJsonAsync(context, 200, new
        {
            directory = options.Value.PluginsPath is { } path ? Path.GetFullPath(path) : null,
            names = registry.Catalog.Names,
            plugins = plugins.Select(p => new
            {
                folder = p.Folder,
                state = p.State,
                error = p.Error,
                serving = p.Serving is { } v ? new { assembly = v.Assembly, sha256 = v.Sha256, factories = v.Factories, loadedAt = v.LoadedAt } : null,
            }),
            unloads = retired.Select(r => new
            {
                folder = r.Folder,
                sha256 = r.Sha256,
                retiredAt = r.RetiredAt,
                collected = r.CollectedAt is not null,
                collectedAt = r.CollectedAt,
            }),
        });
    }
}
