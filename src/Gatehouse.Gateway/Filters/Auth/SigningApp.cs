using System.Collections.Frozen;
using System.Text;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>An app as the gateway checks it: key, secret bytes (resolved from <c>secretRef</c>), permissions.</summary>
internal sealed class SigningApp
{
    private readonly bool _all;
    private readonly FrozenSet<string> _services;
    private readonly FrozenSet<string> _apis;

    private SigningApp(string appKey, byte[] secret, bool all, FrozenSet<string> services, FrozenSet<string> apis)
    {
        AppKey = appKey;
        Secret = secret;
        _all = all;
        _services = services;
        _apis = apis;
    }

    public string AppKey { get; }

    public byte[] Secret { get; }

    /// <summary>Whether the app may call <paramref name="apiId"/> of <paramref name="service"/>; runs at compile time.</summary>
    public bool Allows(string service, string apiId) => _all || _services.Contains(service) || _apis.Contains($"{service}:{apiId}");

    /// <summary>
    /// The enabled apps of a config by key. A <c>secretRef</c> whose environment variable is missing rejects the
    /// config: serving it would refuse every request of that app with a misleading 401. So does an <c>enc:v1:</c>
    /// secret (as the admin publishes them, see <see cref="AppSecretTransport"/>) that <paramref name="transport"/>
    /// cannot open: the control secret differs from the admin's, or there is none.
    /// </summary>
    public static FrozenDictionary<string, SigningApp> CompileAll(GatewayConfig config, string source, Func<string, string?> environment,
        AppSecretTransport? transport = null)
    {
        var apps = new Dictionary<string, SigningApp>(StringComparer.Ordinal);
        List<ConfigError>? errors = null;
        foreach (var app in config.Apps ?? [])
        {
            if (!app.Enabled)
            {
                continue;
            }

            var secret = app.Secret ?? environment(app.SecretRef!);
            if (SecretEnvelope.IsEnvelope(secret))
            {
                var sealedValue = secret!;
                if (transport is null || !transport.TryOpen(app.AppKey, sealedValue, out secret))
                {
                    (errors ??= []).Add(new ConfigError(source, $"apps[{app.AppKey}].secret", transport is null
                        ? "the secret is encrypted for transport (enc:v1:) but this gateway has no control secret to decrypt it"
                        : $"the secret is encrypted for transport (enc:v1:) but does not decrypt here: {transport.DescribeFailure(sealedValue)}"));
                    continue;
                }
            }
            else if (string.IsNullOrEmpty(secret))
            {
                (errors ??= []).Add(new ConfigError(source, $"apps[{app.AppKey}].secretRef",
                    $"environment variable '{app.SecretRef}' is not set (or empty) on this gateway"));
                continue;
            }

            var all = false;
            var services = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var apis = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var permission in app.Permissions)
            {
                if (permission == "*")
                {
                    all = true;
                }
                else if (permission.Contains(':', StringComparison.Ordinal))
                {
                    apis.Add(permission);
                }
                else
                {
                    services.Add(permission);
                }
            }

            apps[app.AppKey] = new SigningApp(app.AppKey, Encoding.UTF8.GetBytes(secret), all,
                services.ToFrozenSet(StringComparer.OrdinalIgnoreCase), apis.ToFrozenSet(StringComparer.OrdinalIgnoreCase));
        }

        if (errors is not null)
        {
            throw new ConfigException(errors);
        }

        return apps.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
