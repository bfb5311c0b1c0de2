using System.Text.Json;
using Gatehouse.Plugins;

namespace Gatehouse.TestPlugins.Stamp;

/// <summary><c>stamp</c>: sets <c>X-Plugin-Stamp</c> on every response to the version of the plugin that handled it.</summary>
public sealed class StampFactory : IGatewayPluginFactory
{
#if STAMP_V2
    internal const string Version = "v2";
#else
    internal const string Version = "v1";
#endif

    public string Name => "stamp";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) => [];

    public IGatewayPlugin Create(JsonElement settings) => new StampPlugin();
}

public sealed class StampPlugin : IGatewayPlugin
{
    public PluginPhases Phases => PluginPhases.Response;

    public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context) => ValueTask.FromResult<PluginResponse?>(null);

    public void OnResponse(PluginContext context) => context.Http.Response.Headers["X-Plugin-Stamp"] = StampFactory.Version;
}
