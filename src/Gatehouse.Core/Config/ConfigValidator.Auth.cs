namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>Asymmetric JWS algorithms a <c>jwt</c> policy may allow (RFC 7518 §3.1).</summary>
    public static readonly IReadOnlySet<string> JwtAlgorithms =
        new HashSet<string>(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"], StringComparer.Ordinal);

    private const int MinSecretLength = 16;
    private const int MaxSignedBody = 64 * 1024 * 1024;

    /// <summary>Apps (signing callers) of the group.</summary>
    /// <remarks>
    /// <c>appKey</c> required, one token of at most 256 characters, unique (ignoring case, so two keys never differ
    /// only in case). Exactly one of <c>secret</c> (at least 16 characters) and <c>secretRef</c> (an environment
    /// variable name, <c>[A-Za-z_][A-Za-z0-9_]*</c>). Permissions: <c>*</c>, <c>service</c> or <c>service:apiId</c>,
    /// the service defined in <c>services</c>, none repeated.
    /// </remarks>
    private static void ValidateApps(Errors errors, IReadOnlyList<AppConfig> apps, ServiceNames services)
    {
        var firstIndex = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < apps.Count; i++)
        {
            var app = apps[i];
            if (app is null)
            {
                errors.Add(ConfigEntries.Index("apps", i), "entry is empty (null)");
                continue;
            }

            var entry = ConfigEntries.Item("apps", app.AppKey, i);
            if (CheckId(errors, $"{entry}.appKey", app.AppKey, "appKey"))
            {
                if (firstIndex.TryGetValue(app.AppKey, out var first))
                {
                    errors.Add($"{entry}.appKey", $"appKey '{app.AppKey}' is used more than once (first at apps[{first}]; keys are compared ignoring case)");
                }
                else
                {
                    firstIndex[app.AppKey] = i;
                }
            }

            if ((app.Secret is null) == (app.SecretRef is null))
            {
                errors.Add($"{entry}.secret", "give exactly one of secret and secretRef");
            }
            else if (app.Secret is { } secret && secret.Length < MinSecretLength)
            {
                errors.Add($"{entry}.secret", $"secret is {secret.Length} characters long; at least {MinSecretLength} are required");
            }
            else if (app.SecretRef is { } reference && !IsEnvironmentVariableName(reference))
            {
                errors.Add($"{entry}.secretRef", $"'{reference}' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var permissions = app.Permissions ?? [];
            for (var p = 0; p < permissions.Count; p++)
            {
                var permission = permissions[p];
                var permissionEntry = $"{entry}.permissions[{p}]";
                if (string.IsNullOrWhiteSpace(permission))
                {
                    errors.Add(permissionEntry, "permission is empty; use 'service', 'service:apiId' or '*'");
                    continue;
                }

                if (!seen.Add(permission))
                {
                    errors.Add(permissionEntry, $"permission '{permission}' is listed more than once");
                    continue;
                }

                if (permission == "*")
                {
                    continue;
                }

                var colon = permission.IndexOf(':', StringComparison.Ordinal);
                var service = colon < 0 ? permission : permission[..colon];
                var apiId = colon < 0 ? null : permission[(colon + 1)..];
                if (service.Length == 0 || apiId is { Length: 0 } || apiId?.Contains(':', StringComparison.Ordinal) == true
                    || permission.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    errors.Add(permissionEntry, $"'{permission}' is not a permission; use 'service', 'service:apiId' or '*'");
                    continue;
                }

                CheckServiceReference(errors, permissionEntry, service, services);
            }
        }
    }

    /// <remarks>
    /// <c>sign</c>: header names are HTTP tokens, not repeated, not one of the signature's own headers; windows and
    /// TTLs 1 ms to 1 day; <c>maxSignedBodyBytes</c> 0..64 MiB. <c>jwt</c> (unless <c>required: false</c>):
    /// <c>issuer</c> and <c>jwksUri</c> (absolute http/https) required; algorithms from <see cref="JwtAlgorithms"/>
    /// only (HS* and none are refused with a reason); <c>clockSkewMs</c> 0 to 1 day; <c>jwksRefreshMs</c> 1 s to 1
    /// day; forwarded claims map non-blank claim names to distinct header names. <c>login</c> (unless
    /// <c>required: false</c>): <c>checkUri</c> (absolute http/https) and at least one of <c>tokenCookie</c> and
    /// <c>tokenHeader</c> required; names are HTTP tokens; <c>userIdHeader</c> differs from <c>tokenHeader</c>;
    /// <c>cacheMs</c> and <c>negativeCacheMs</c> 0 to 1 day; <c>timeoutMs</c> 1 ms to 60 s.
    /// </remarks>
    private static void ValidateAuth(Errors errors, string entry, AuthConfig auth)
    {
        if (auth.Sign is { } sign)
        {
            ValidateSign(errors, $"{entry}.sign", sign);
        }

        if (auth.Jwt is { } jwt)
        {
            ValidateJwt(errors, $"{entry}.jwt", jwt);
        }

        if (auth.Login is { } login)
        {
            ValidateLogin(errors, $"{entry}.login", login);
        }

        if (auth.ClientCertificate is { } clientCertificate)
        {
            ValidateClientCertificate(errors, $"{entry}.clientCertificate", clientCertificate);
        }
    }

    private static void ValidateSign(Errors errors, string entry, SignConfig sign)
    {
        var headers = sign.Headers ?? [];
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < headers.Count; i++)
        {
            var name = headers[i];
            if (string.IsNullOrWhiteSpace(name) || !IsToken(name))
            {
                errors.Add($"{entry}.headers[{i}]", $"'{name}' is not a valid header name");
            }
            else if (!seen.Add(name))
            {
                errors.Add($"{entry}.headers[{i}]", $"header '{name}' is listed more than once (names are compared ignoring case)");
            }
            else if (name.StartsWith("X-Gatehouse-", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{entry}.headers[{i}]", $"'{name}' is part of the signature itself and is always bound; list other headers");
            }
        }

        CheckTimeout(errors, $"{entry}.timestampWindowMs", sign.TimestampWindowMs);
        CheckTimeout(errors, $"{entry}.nonceTtlMs", sign.NonceTtlMs);
        if (sign.MaxSignedBodyBytes is < 0 or > MaxSignedBody)
        {
            errors.Add($"{entry}.maxSignedBodyBytes", $"must be between 0 and {MaxSignedBody} (64 MiB), got {sign.MaxSignedBodyBytes}");
        }
    }

    private static void ValidateJwt(Errors errors, string entry, JwtConfig jwt)
    {
        var off = jwt.Required == false;
        if (!off && string.IsNullOrWhiteSpace(jwt.Issuer))
        {
            errors.Add($"{entry}.issuer", "issuer is required");
        }

        if (jwt.JwksUri is null)
        {
            if (!off)
            {
                errors.Add($"{entry}.jwksUri", "jwksUri is required (the issuer's JSON Web Key Set)");
            }
        }
        else if (!Uri.TryCreate(jwt.JwksUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            errors.Add($"{entry}.jwksUri", $"'{jwt.JwksUri}' is not an absolute http or https URI");
        }

        var audiences = jwt.Audiences ?? [];
        for (var i = 0; i < audiences.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(audiences[i]))
            {
                errors.Add($"{entry}.audiences[{i}]", "audience is empty");
            }
        }

        var algorithms = jwt.Algorithms ?? [];
        if (jwt.Algorithms is { Count: 0 })
        {
            errors.Add($"{entry}.algorithms", "list at least one algorithm, or leave the key out for RS256 and ES256");
        }

        for (var i = 0; i < algorithms.Count; i++)
        {
            var algorithm = algorithms[i];
            if (JwtAlgorithms.Contains(algorithm))
            {
                continue;
            }

            var reason = algorithm switch
            {
                _ when string.Equals(algorithm, "none", StringComparison.OrdinalIgnoreCase) => "unsigned tokens are never accepted",
                _ when algorithm?.StartsWith("HS", StringComparison.OrdinalIgnoreCase) == true =>
                    "symmetric algorithms are not accepted (keys come from a public JWKS; HS* would allow key confusion)",
                _ => $"use one of {string.Join(", ", JwtAlgorithms.Order(StringComparer.Ordinal))}",
            };
            errors.Add($"{entry}.algorithms[{i}]", $"'{algorithm}' is not allowed: {reason}");
        }

        if (jwt.ClockSkewMs is < 0 or > MaxTimeoutMs)
        {
            errors.Add($"{entry}.clockSkewMs", $"must be between 0 and {MaxTimeoutMs} ms (1 day), got {jwt.ClockSkewMs}");
        }

        if (jwt.JwksRefreshMs is < 1000 or > MaxTimeoutMs)
        {
            errors.Add($"{entry}.jwksRefreshMs", $"must be between 1000 and {MaxTimeoutMs} ms (1 day), got {jwt.JwksRefreshMs}");
        }

        var headers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (claim, header) in jwt.ForwardClaims ?? new Dictionary<string, string>())
        {
            var claimEntry = $"{entry}.forwardClaims.{claim}";
            if (string.IsNullOrWhiteSpace(claim))
            {
                errors.Add(claimEntry, "claim name is empty");
            }
            else if (string.IsNullOrWhiteSpace(header) || !IsToken(header))
            {
                errors.Add(claimEntry, $"'{header}' is not a valid header name");
            }
            else if (!headers.Add(header))
            {
                errors.Add(claimEntry, $"header '{header}' receives more than one claim");
            }
        }
    }

    private const int MaxLoginTimeoutMs = 60_000;

    private static void ValidateLogin(Errors errors, string entry, LoginConfig login)
    {
        var off = login.Required == false;
        if (login.CheckUri is null)
        {
            if (!off)
            {
                errors.Add($"{entry}.checkUri", "checkUri is required (the session service's check endpoint)");
            }
        }
        else if (!Uri.TryCreate(login.CheckUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
        {
            errors.Add($"{entry}.checkUri", $"'{login.CheckUri}' is not an absolute http or https URI");
        }

        if (login.TokenCookie is null && login.TokenHeader is null && !off)
        {
            errors.Add(entry, "no token source: give tokenCookie and/or tokenHeader (where the session token is read)");
        }

        if (login.TokenCookie is { } cookie && !IsToken(cookie))
        {
            errors.Add($"{entry}.tokenCookie", $"'{cookie}' is not a valid cookie name");
        }

        if (login.TokenHeader is { } tokenHeader && !IsToken(tokenHeader))
        {
            errors.Add($"{entry}.tokenHeader", $"'{tokenHeader}' is not a valid header name");
        }

        if (login.UserIdHeader is { } userIdHeader && !IsToken(userIdHeader))
        {
            errors.Add($"{entry}.userIdHeader", $"'{userIdHeader}' is not a valid header name");
        }
        else if (string.Equals(login.UserIdHeader ?? LoginDefaults.UserIdHeader, login.TokenHeader, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{entry}.userIdHeader", $"'{login.TokenHeader}' is also the tokenHeader; the user id needs a header of its own");
        }

        if (login.CacheMs is < 0 or > MaxTimeoutMs)
        {
            errors.Add($"{entry}.cacheMs", $"must be between 0 and {MaxTimeoutMs} ms (1 day), got {login.CacheMs}");
        }

        if (login.NegativeCacheMs is < 0 or > MaxTimeoutMs)
        {
            errors.Add($"{entry}.negativeCacheMs", $"must be between 0 and {MaxTimeoutMs} ms (1 day), got {login.NegativeCacheMs}");
        }

        if (login.TimeoutMs is < 1 or > MaxLoginTimeoutMs)
        {
            errors.Add($"{entry}.timeoutMs", $"must be between 1 and {MaxLoginTimeoutMs} ms, got {login.TimeoutMs}");
        }
    }

    private static bool IsEnvironmentVariableName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
