namespace Gatehouse.Core.Config;

/// <summary>
/// Caller authentication of an API: appKey/appSecret request signatures and/or JWT bearer tokens. Each of the
/// two is merged as a whole (the innermost level that sets <c>sign</c> or <c>jwt</c> wins), so an API can turn a
/// service-wide requirement off with <c>required: false</c>. When both apply, a request must pass both.
/// </summary>
public sealed record AuthConfig
{
    public SignConfig? Sign { get; init; }

    public JwtConfig? Jwt { get; init; }
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
