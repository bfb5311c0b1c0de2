namespace Gatehouse.Plugins;

/// <summary>Where in an API's pipeline a plugin filter runs, relative to the gateway's own access control.</summary>
public enum PluginStage
{
    /// <summary>
    /// After IP lists and the body limit, before authentication (signature, JWT, login state, client certificates)
    /// and rate limits: CORS preflights, header rewrites, mocks. The default.
    /// </summary>
    BeforeAccessControl = 0,

    /// <summary>
    /// After authentication and rate limits, just before the node is called (and before payload decryption): a
    /// response cache or an aggregation, which must never answer a caller the gateway would have refused.
    /// </summary>
    AfterAccessControl = 1,
}
