using System.Collections.Frozen;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Checks an OAuth2 bearer token (JWT, RFC 7519) on one API: algorithm on the allow-list, signature by a key of the
/// issuer's JWKS, issuer, audience, lifetime with skew; then forwards selected claims as request headers.
/// </summary>
/// <remarks>
/// <para>Headers named in <c>forwardClaims</c> are removed from every request first, whatever its token, so a
/// caller cannot set them itself. No token → 401 <c>unauthorized</c> with <c>WWW-Authenticate: Bearer</c>
/// (RFC 6750 §3.1: no error code without credentials); a bad token → 401 <c>unauthorized</c> with
/// <c>Bearer error="invalid_token"</c> and a short reason.</para>
/// <para>The <c>alg</c> check runs before any key is looked up, so <c>none</c> and HS* tokens never reach the
/// crypto; the handler checks the algorithm again against the same list.</para>
/// </remarks>
internal sealed class JwtFilter : BuiltInFilter
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private const string Realm = "Bearer realm=\"gatehouse\"";

    private readonly JwksCache _keys;
    private readonly FrozenSet<string> _algorithms;
    private readonly TokenValidationParameters _parameters;
    private readonly KeyValuePair<string, string>[] _forwardClaims;

    public JwtFilter(JwtConfig config, JwksCache keys)
    {
        _keys = keys;
        var algorithms = config.Algorithms is { Count: > 0 } configured ? configured.ToArray() : AuthDefaults.Algorithms;
        _algorithms = algorithms.ToFrozenSet(StringComparer.Ordinal);
        var audiences = config.Audiences ?? [];
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = config.Issuer,
            ValidateIssuer = true,
            ValidAudiences = audiences,
            ValidateAudience = audiences.Count > 0,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            ClockSkew = TimeSpan.FromMilliseconds(config.ClockSkewMs ?? AuthDefaults.ClockSkewMs),
            ValidAlgorithms = algorithms,
            IssuerSigningKeyResolver = (_, _, kid, _) => keys.Resolve(kid),
            // Claims stay as the token has them; nothing downstream needs a ClaimsIdentity built per request.
            SaveSigninToken = false,
        };
        _forwardClaims = config.ForwardClaims is { Count: > 0 } forward ? [.. forward] : [];
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        foreach (var (_, header) in _forwardClaims)
        {
            headers.Remove(header);
        }

        var authorization = headers.Authorization;
        var value = authorization.Count == 1 ? authorization[0] : null;
        if (value is null || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
        {
            return Reject(context, "The API requires a bearer token (Authorization: Bearer ...).", Realm);
        }

        JsonWebToken token;
        try
        {
            token = Handler.ReadJsonWebToken(value[7..].Trim());
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Text.Json.JsonException or OverflowException)
        {
            // The parser's input is the caller's, so its failures are the caller's: a token with five parts (read as a
            // JWE) whose segments are not base64url throws FormatException, a bad header or payload ArgumentException.
            return Invalid(context, "The bearer token is not a well-formed JWT.");
        }

        if (token.IsEncrypted || !_algorithms.Contains(token.Alg))
        {
            var alg = token.Alg ?? "";
            return Invalid(context, $"Tokens signed with '{(alg.Length > 16 ? alg[..16] : alg)}' are not accepted.");
        }

        return ValidateAsync(context, token);
    }

    private async ValueTask<bool> ValidateAsync(HttpContext context, JsonWebToken token)
    {
        if (await _keys.GetKeyAsync(token.Kid) is null)
        {
            return await Invalid(context, "The token's signing key is not in the issuer's key set.");
        }

        var result = await Handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid)
        {
            return await Invalid(context, Reason(result.Exception));
        }

        var headers = context.Request.Headers;
        foreach (var (claim, header) in _forwardClaims)
        {
            if (token.TryGetPayloadValue<string>(claim, out var text))
            {
                headers[header] = text;
            }
            else if (token.TryGetPayloadValue<string[]>(claim, out var list))
            {
                headers[header] = string.Join(',', list);
            }
            else if (token.TryGetPayloadValue<object>(claim, out var other) && other is not null)
            {
                headers[header] = Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return true;
    }

    /// <summary>A short, stable reason; the library's messages are long and may echo token contents.</summary>
    private static string Reason(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenNoExpirationException => "The token has no expiry (exp).",
        SecurityTokenInvalidIssuerException => "The token's issuer is not accepted.",
        SecurityTokenInvalidAudienceException => "The token's audience is not accepted.",
        SecurityTokenInvalidAlgorithmException => "The token's algorithm is not accepted.",
        SecurityTokenSignatureKeyNotFoundException => "The token's signing key is not in the issuer's key set.",
        SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        _ => "The token is not valid.",
    };

    private static ValueTask<bool> Invalid(HttpContext context, string detail) =>
        Reject(context, detail, $"{Realm}, error=\"invalid_token\", error_description=\"{QuotedSafe(detail.TrimEnd('.'))}\"");

    /// <summary>RFC 6750 §3: error_description holds printable ASCII other than '"' and '\'; the alg comes from the caller.</summary>
    private static string QuotedSafe(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = source[i];
                span[i] = c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?';
            }
        });

    private static async ValueTask<bool> Reject(HttpContext context, string detail, string challenge)
    {
        await ProblemWriter.WriteAsync(context, GatewayError.Unauthorized, detail, [new("WWW-Authenticate", challenge)]);
        return false;
    }
}
