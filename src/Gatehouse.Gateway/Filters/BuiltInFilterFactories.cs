using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Access;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Filters.Encryption;
using Gatehouse.Gateway.Filters.RateLimiting;
using Gatehouse.Gateway.Model;
using Gatehouse.Plugins;

namespace Gatehouse.Gateway.Filters;

/// <summary>
/// The factory of one of the gateway's own mechanisms: named like a plugin (<see cref="GatewayFilterNames"/>), but
/// created from the API's dedicated policy members instead of <c>policy.filters</c> settings, which keeps every existing
/// config valid and every mechanism at its fixed place in the chain.
/// </summary>
internal interface IBuiltInFilterFactory
{
    /// <summary>The mechanism's name (<see cref="GatewayFilterNames"/>): the filter's name in the chain, logs and metrics.</summary>
    string Name { get; }

    /// <summary>The API's filter, or null when its policy does not ask for this mechanism (the API pays nothing).</summary>
    BuiltInFilter? Create(BuiltInFilterScope scope);
}

/// <summary>What a built-in factory reads when an API is compiled: its policy at every level and the per-compile state.</summary>
/// <param name="RateLimitScopes">Collects the rate-limit scopes the snapshot uses (idle limiters of other scopes are swept).</param>
internal sealed record BuiltInFilterScope(PolicyConfig? Global, ServiceConfig Service, ApiConfig Api, EffectivePolicy Policy,
    AuthRegistry.Compilation Auth, HashSet<string> RateLimitScopes);

/// <summary>
/// The built-in factories in chain order. An API's chain is: <see cref="BeforePlugins"/> (cheapest refusals: IP lists,
/// the body limit), the <c>policy.filters</c> plugins of <see cref="PluginStage.BeforeAccessControl"/>,
/// <see cref="AccessControl"/> (client certificate, signature, JWT, login state, then rate limits, so refused callers
/// never spend rate-limit tokens), the plugins of <see cref="PluginStage.AfterAccessControl"/>, and <see cref="Last"/>
/// (payload encryption: only admitted callers cost a buffer and a decryption; its body phase seals the response).
/// </summary>
internal sealed class BuiltInFilterFactories
{
    public BuiltInFilterFactories(RateLimiterRegistry rateLimiters)
    {
        BeforePlugins = [new IpAccessFilterFactory(), new BodyLimitFilterFactory()];
        AccessControl =
        [
            new ClientCertificateFilterFactory(), new SignatureFilterFactory(), new JwtFilterFactory(), new LoginFilterFactory(),
            new RateLimitFilterFactory(rateLimiters),
        ];
        Last = [new PayloadEncryptionFilterFactory()];
    }

    /// <summary>Before every plugin.</summary>
    public IBuiltInFilterFactory[] BeforePlugins { get; }

    /// <summary>Between the plugins that run before access control and those that run after it.</summary>
    public IBuiltInFilterFactory[] AccessControl { get; }

    /// <summary>After every plugin.</summary>
    public IBuiltInFilterFactory[] Last { get; }
}

/// <summary><c>body-limit</c>: <c>limits.maxBodyBytes</c>, merged (innermost level wins).</summary>
internal sealed class BodyLimitFilterFactory : IBuiltInFilterFactory
{
    public string Name => GatewayFilterNames.BodyLimit;

    public BuiltInFilter? Create(BuiltInFilterScope scope) =>
        scope.Policy.MaxBodyBytes is { } maxBodyBytes ? new BodyLimitFilter(maxBodyBytes) : null;
}
