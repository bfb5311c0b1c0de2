using System.Collections.Frozen;
using Gatehouse.Core.Config;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Builds the auth filters of each API when a snapshot is compiled, and keeps what must outlive a snapshot: the
/// nonce store (a reload must not forget nonces, or replays would pass) and the JWKS caches.
/// </summary>
internal sealed class AuthRegistry
{
    private readonly INonceStore _nonces;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;

    public AuthRegistry(INonceStore nonces, TimeProvider time, Func<string, string?>? environment = null)
    {
        _nonces = nonces;
        _time = time;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>Per-compile state: the apps of the config, resolved once.</summary>
    public Compilation Begin(GatewayConfig config, string source) => new(this, SigningApp.CompileAll(config, source, _environment));

    internal sealed class Compilation(AuthRegistry owner, FrozenDictionary<string, SigningApp> apps)
    {
        /// <summary>The auth filters of one API, in order (signature, then token); empty when none applies.</summary>
        public IGatewayFilter[] Compile(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var sign = api.Policy?.Auth?.Sign ?? service.Policy?.Auth?.Sign ?? global?.Auth?.Sign;
            if (sign is null || sign.Required == false)
            {
                return [];
            }

            // Permission is decided per API here, so the request path asks a set, not a list of patterns.
            var permitted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var app in apps.Values)
            {
                if (app.Allows(service.Name, api.Id))
                {
                    permitted.Add(app.AppKey);
                }
            }

            return [new SignatureFilter(sign, apps, permitted.ToFrozenSet(StringComparer.Ordinal), owner._nonces, owner._time)];
        }
    }
}
