namespace Gatehouse.Core.Config;

/// <summary>
/// Caller authentication of an API: appKey/appSecret request signatures, JWT bearer tokens and/or a login state
/// asked of a session service. Each is merged as a whole (the innermost level that sets <c>sign</c>, <c>jwt</c> or
/// <c>login</c> wins), so an API can turn a service-wide requirement off with <c>required: false</c>. When several
/// apply, a request must pass all of them (signature, then token, then login state).
/// </summary>
public sealed record AuthConfig
{
    public SignConfig? Sign { get; init; }

    public JwtConfig? Jwt { get; init; }

    public LoginConfig? Login { get; init; }

    public ClientCertificateConfig? ClientCertificate { get; init; }
}

/// <summary>
/// Request signatures by a registered app (<see cref="GatewayConfig.Apps"/>): HMAC-SHA256 with the app's secret
/// over the canonical request (see <c>Gatehouse.Core.Security.RequestSigning</c>).
/// </summary>
[MergedWholePolicy]
public sealed record SignConfig
{
    /// <summary>Default true once a <c>sign</c> block is given; false turns signing off at this level.</summary>
    public bool? Required { get; init; }

    /// <summary>Request headers bound into the signature, besides the fixed parts; default none.</summary>
    public IReadOnlyList<string>? Headers { get; init; }

    /// <summary>How far the signed timestamp may be from the gateway clock, either way; default 300000 (5 min).</summary>
    public int? TimestampWindowMs { get; init; }

    /// <summary>How long a nonce is remembered to refuse a replay; default twice the timestamp window.</summary>
    public int? NonceTtlMs { get; init; }

    /// <summary>Largest body that is buffered to be hashed; a larger one is refused with 413; default 1048576 (1 MiB).</summary>
    public int? MaxSignedBodyBytes { get; init; }
}

/// <summary>
/// JWT / OAuth2 bearer tokens signed by an issuer whose public keys are published as a JWKS. Only asymmetric
/// algorithms are accepted (RS*, PS*, ES*): symmetric HS* tokens are refused, which also rules out the HS/RS key
/// confusion attack (an HS256 token "signed" with the issuer's public key).
/// </summary>
[MergedWholePolicy]
public sealed record JwtConfig
{
    /// <summary>Default true once a <c>jwt</c> block is given; false turns token checks off at this level.</summary>
    public bool? Required { get; init; }

    /// <summary>Required <c>iss</c> value.</summary>
    public string? Issuer { get; init; }

    /// <summary>Accepted <c>aud</c> values; the token must name at least one. Empty: the audience is not checked.</summary>
    public IReadOnlyList<string>? Audiences { get; init; }

    /// <summary>Where the issuer's JSON Web Key Set is fetched (http or https).</summary>
    public string? JwksUri { get; init; }

    /// <summary>Allowed <c>alg</c> values; default RS256 and ES256.</summary>
    public IReadOnlyList<string>? Algorithms { get; init; }

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c>; default 60000 (1 min).</summary>
    public int? ClockSkewMs { get; init; }

    /// <summary>How often the JWKS is refetched even without an unknown <c>kid</c>; default 600000 (10 min).</summary>
    public int? JwksRefreshMs { get; init; }

    /// <summary>
    /// Claims forwarded to the node as request headers (claim name → header name). Incoming copies of these
    /// headers are always removed first, so a caller cannot set them.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ForwardClaims { get; init; }
}

/// <summary>
/// Login state: the gateway asks a session service whether the caller's session token (a cookie and/or a request
/// header) is logged in, caches the answer briefly, forwards the user id to the node and answers 401 otherwise.
/// The session service's contract is in <c>docs/login.md</c>.
/// </summary>
[MergedWholePolicy]
public sealed record LoginConfig
{
    /// <summary>Default true once a <c>login</c> block is given; false turns the check off at this level.</summary>
    public bool? Required { get; init; }

    /// <summary>The session service's check endpoint (http or https); the gateway sends <c>GET</c> to it.</summary>
    public string? CheckUri { get; init; }

    /// <summary>Name of the cookie that carries the session token.</summary>
    public string? TokenCookie { get; init; }

    /// <summary>Name of the request header that carries the session token; looked at before the cookie.</summary>
    public string? TokenHeader { get; init; }

    /// <summary>How long a logged-in answer is reused; default 5000; 0 asks the service on every request.</summary>
    public int? CacheMs { get; init; }

    /// <summary>How long a not-logged-in answer is reused; default 1000; 0 does not remember refusals.</summary>
    public int? NegativeCacheMs { get; init; }

    /// <summary>How long the gateway waits for the session service; default 2000.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>
    /// Request header that carries the user id to the node; default <c>X-Gatehouse-User-Id</c>. Incoming copies are
    /// always removed first, so a caller cannot set it.
    /// </summary>
    public string? UserIdHeader { get; init; }
}

/// <summary>Built-in values of <see cref="LoginConfig"/>; the gateway and the docs use the same ones.</summary>
public static class LoginDefaults
{
    public const int CacheMs = 5_000;
    public const int NegativeCacheMs = 1_000;
    public const int TimeoutMs = 2_000;
    public const string UserIdHeader = "X-Gatehouse-User-Id";

    /// <summary>The request header in which the gateway sends the token to the session service.</summary>
    public const string SessionTokenHeader = "X-Gatehouse-Session-Token";
}

/// <summary>
/// A caller registered with the gateway group: signs requests with its key and secret, and may call the services
/// and APIs its permissions name.
/// </summary>
public sealed record AppConfig
{
    /// <summary>Public identifier sent in <c>X-Gatehouse-AppKey</c>; unique in the group.</summary>
    public string AppKey { get; init; } = "";

    /// <summary>The shared secret (UTF-8) inline. Exactly one of <see cref="Secret"/> and <see cref="SecretRef"/>.</summary>
    public string? Secret { get; init; }

    /// <summary>Name of an environment variable of the gateway process holding the secret, so the file holds none.</summary>
    public string? SecretRef { get; init; }

    /// <summary><c>service</c> (every API of it), <c>service:apiId</c> (one API) or <c>*</c> (everything).</summary>
    public IReadOnlyList<string> Permissions { get; init; } = [];

    /// <summary>A disabled app is refused as if unknown.</summary>
    public bool Enabled { get; init; } = true;

    public string? Description { get; init; }
}
