using System.Collections.Concurrent;
using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Filters.Encryption;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Builds the auth filters of each API when a snapshot is compiled (for the built-in factories of
/// <see cref="AuthFilterFactories"/>), and keeps what must outlive a snapshot: the
/// nonce store (a reload must not forget nonces, or replays would pass), the JWKS caches and the login-state
/// caches (a reload must not send every session back to the session service).
/// </summary>
internal sealed class AuthRegistry
{
    private readonly INonceStore _nonces;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly Core.Security.AppSecretTransport? _transport;
    private readonly ConcurrentDictionary<string, JwksCache> _jwks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LoginSessionCache> _sessions = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    // Session tokens are cached under their keyed hash with this key, fresh per process: nothing kept matches a token offline.
    private readonly byte[] _sessionMacKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Core.Hashing.SipHash128.KeySize);

    // JWKS documents are small and fetched rarely: a client of its own, not the upstream pool of the proxy path.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        MaxResponseContentBufferSize = 1024 * 1024,
        Timeout = TimeSpan.FromSeconds(10),
    };

    // Login checks: a pool of their own, never the upstream pool (see SessionServiceClient.CreateHttpClient).
    private readonly HttpClient _sessionHttp = SessionServiceClient.CreateHttpClient();

    /// <param name="transport">Opens app secrets the admin encrypted for transport; null (no control secret) refuses them.</param>
    public AuthRegistry(INonceStore nonces, TimeProvider time, ILoggerFactory? loggers = null, Func<string, string?>? environment = null,
        Core.Security.AppSecretTransport? transport = null)
    {
        _transport = transport;
        _nonces = nonces;
        _time = time;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Gatehouse.Gateway.Auth");
    }

    /// <summary>The key cache of a JWKS URI, shared by every API and snapshot that names it.</summary>
    public JwksCache Jwks(string uri, TimeSpan refresh)
    {
        var cache = _jwks.GetOrAdd(uri, u => new JwksCache(new Uri(u), _http, _time, _logger, refresh));
        cache.RefreshInterval = refresh;
        cache.Prefetch();
        return cache;
    }

    /// <summary>The answer cache of a session service, shared by every API and snapshot that names its check URI.</summary>
    public LoginSessionCache Sessions(string checkUri, TimeSpan retain)
    {
        var cache = _sessions.GetOrAdd(checkUri, uri => new LoginSessionCache(new SessionServiceClient(new Uri(uri), _sessionHttp, _time, _logger).AskAsync, _time));
        cache.Retain(retain);
        return cache;
    }

    /// <summary>Per-compile state: the apps of the config, resolved once.</summary>
    public Compilation Begin(GatewayConfig config, string source) => new(this, SigningApp.CompileAll(config, source, _environment, _transport));

    internal sealed class Compilation(AuthRegistry owner, FrozenDictionary<string, SigningApp> apps)
    {
        private FrozenDictionary<string, PayloadKey>? _payloadKeys;

        /// <summary>
        /// The payload encryption filter of one API (<c>encryption</c> merged as a whole, innermost level wins); null
        /// when none applies. The apps' payload keys are derived once per compile, the first time an API needs them.
        /// </summary>
        public PayloadEncryptionFilter? CompileEncryption(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var encryption = api.Policy?.Encryption ?? service.Policy?.Encryption ?? global?.Encryption;
            if (encryption is null || encryption.Required == false)
            {
                return null;
            }

            _payloadKeys ??= PayloadKey.CompileAll(apps.Values);
            return new PayloadEncryptionFilter(encryption, _payloadKeys, Permitted(service, api));
        }

        /// <summary>
        /// The apps allowed to call one API. Permission is decided per API here, so the request path asks a set, not a
        /// list of patterns; signatures and payload encryption share it.
        /// </summary>
        private FrozenSet<string> Permitted(ServiceConfig service, ApiConfig api)
        {
            var permitted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var app in apps.Values)
            {
                if (app.Allows(service.Name, api.Id))
                {
                    permitted.Add(app.AppKey);
                }
            }

            return permitted.ToFrozenSet(StringComparer.Ordinal);
        }

        /// <summary>The client certificate filter of one API (<c>auth.clientCertificate</c>, innermost level wins); null when none applies.</summary>
        public ClientCertificateFilter? CompileClientCertificate(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var clientCertificate = api.Policy?.Auth?.ClientCertificate ?? service.Policy?.Auth?.ClientCertificate ?? global?.Auth?.ClientCertificate;
            return clientCertificate is not null && clientCertificate.Required != false ? new ClientCertificateFilter(clientCertificate) : null;
        }

        /// <summary>The signature filter of one API (<c>auth.sign</c>, innermost level wins); null when none applies.</summary>
        public SignatureFilter? CompileSignature(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var sign = api.Policy?.Auth?.Sign ?? service.Policy?.Auth?.Sign ?? global?.Auth?.Sign;
            return sign is not null && sign.Required != false ? CompileSign(sign, service, api) : null;
        }

        /// <summary>The JWT filter of one API (<c>auth.jwt</c>, innermost level wins); null when none applies.</summary>
        public JwtFilter? CompileJwt(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var jwt = api.Policy?.Auth?.Jwt ?? service.Policy?.Auth?.Jwt ?? global?.Auth?.Jwt;
            if (jwt is null || jwt.Required == false)
            {
                return null;
            }

            var refresh = TimeSpan.FromMilliseconds(jwt.JwksRefreshMs ?? AuthDefaults.JwksRefreshMs);
            return new JwtFilter(jwt, owner.Jwks(jwt.JwksUri!, refresh));
        }

        /// <summary>
        /// The login filter of one API (<c>auth.login</c>, innermost level wins): the session check, or where login is
        /// turned off the removal of the user-id header; null when no level mentions login.
        /// </summary>
        public BuiltInFilter? CompileLogin(PolicyConfig? global, ServiceConfig service, ApiConfig api)
        {
            var login = api.Policy?.Auth?.Login ?? service.Policy?.Auth?.Login ?? global?.Auth?.Login;
            if (login is null)
            {
                return null;
            }

            if (login.Required != false)
            {
                var retain = Math.Max(login.CacheMs ?? LoginDefaults.CacheMs, login.NegativeCacheMs ?? LoginDefaults.NegativeCacheMs);
                var cache = owner.Sessions(login.CheckUri!, TimeSpan.FromMilliseconds(retain));
                return new LoginFilter(login, cache, owner._sessionMacKey, owner._time);
            }

            // Turned off here (a public API of a logged-in service): the node may still trust the header, so a
            // caller must not be able to set it on this API either. A bare `required: false` names no header: the
            // one of the level it switches off applies.
            var header = login.UserIdHeader ?? service.Policy?.Auth?.Login?.UserIdHeader ?? global?.Auth?.Login?.UserIdHeader;
            return new RemoveHeaderFilter(header ?? LoginDefaults.UserIdHeader);
        }

        private SignatureFilter CompileSign(SignConfig sign, ServiceConfig service, ApiConfig api) =>
            new(sign, apps, Permitted(service, api), owner._nonces, owner._time);
    }
}
