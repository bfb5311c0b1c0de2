using System.Text.Json;
using Gatehouse.Plugins;

namespace Gatehouse.TestPlugins.Faulty;

/// <summary><c>throw-on-create</c>: validates, then fails to create its filter.</summary>
public sealed class ThrowOnCreateFactory : IGatewayPluginFactory
{
    public string Name => "throw-on-create";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) => [];

    public IGatewayPlugin Create(JsonElement settings) => throw new InvalidOperationException("the test plugin refuses to be created");
}

/// <summary><c>throw-on-request</c>: throws in the request phase of every request.</summary>
public sealed class ThrowOnRequestFactory : IGatewayPluginFactory
{
    public string Name => "throw-on-request";

    public IReadOnlyList<PluginSettingError> Validate(JsonElement settings) => [];

    public IGatewayPlugin Create(JsonElement settings) => new ThrowOnRequest();

    private sealed class ThrowOnRequest : IGatewayPlugin
    {
        public PluginPhases Phases => PluginPhases.Request;

        public ValueTask<PluginResponse?> OnRequestAsync(PluginContext context) => throw new InvalidOperationException("the test plugin fails every request");

        public void OnResponse(PluginContext context)
        {
        }
    }
}
