using System.Collections.Frozen;
using System.Globalization;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Checks an appKey/appSecret signature (<see cref="RequestSigning"/>) on one API: the app is known and enabled,
/// the timestamp is in the window, the HMAC matches the canonical request (body included), the nonce is fresh,
/// and the app has permission for the API.
/// </summary>
/// <remarks>
/// Answers: missing signature headers or unknown app → 401 <c>unauthorized</c>; timestamp out of window, wrong
/// signature (tampered request) or reused nonce → 401 <c>bad_signature</c> with the reason; nonce store unable to
/// record the nonce → 503 <c>nonce_store_unavailable</c>; authenticated but not permitted → 403 <c>forbidden</c>;
/// body larger than <c>maxSignedBodyBytes</c> → 413. The nonce is recorded only after the signature checks out,
/// so unsigned junk cannot fill the store.
/// </remarks>
internal sealed class SignatureFilter : BuiltInFilter
{
    private static readonly KeyValuePair<string, string>[] RetryAfterOneSecond = [new("Retry-After", "1")];

    private readonly FrozenDictionary<string, SigningApp> _apps;
    private readonly FrozenSet<string> _permitted;
    private readonly string[] _headers;
    private readonly long _windowMs;
    private readonly TimeSpan _nonceTtl;
    private readonly int _maxBody;
    private readonly INonceStore _nonces;
    private readonly TimeProvider _time;

    public SignatureFilter(SignConfig config, FrozenDictionary<string, SigningApp> apps, FrozenSet<string> permitted,
        INonceStore nonces, TimeProvider time)
    {
        _apps = apps;
        _permitted = permitted;
        _headers = config.Headers is { Count: > 0 } headers ? [.. headers] : [];
        _windowMs = config.TimestampWindowMs ?? AuthDefaults.TimestampWindowMs;
        _nonceTtl = TimeSpan.FromMilliseconds(config.NonceTtlMs ?? 2 * _windowMs);
        _maxBody = config.MaxSignedBodyBytes ?? AuthDefaults.MaxSignedBodyBytes;
        _nonces = nonces;
        _time = time;
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        var appKey = First(headers, RequestSigning.AppKeyHeader);
        var timestamp = First(headers, RequestSigning.TimestampHeader);
        var nonce = First(headers, RequestSigning.NonceHeader);
        var signature = First(headers, RequestSigning.SignatureHeader);
        if (appKey is null || timestamp is null || nonce is null || signature is null)
        {
            return Reject(context, GatewayError.Unauthorized,
                $"The API requires a signed request: {RequestSigning.AppKeyHeader}, {RequestSigning.TimestampHeader}, {RequestSigning.NonceHeader} and {RequestSigning.SignatureHeader}.");
        }

        if (!_apps.TryGetValue(appKey, out var app))
        {
            return Reject(context, GatewayError.Unauthorized, "Unknown appKey.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var timestampMs))
        {
            return Reject(context, GatewayError.BadSignature, $"{RequestSigning.TimestampHeader} must be Unix milliseconds.");
        }

        var skew = _time.GetUtcNow().ToUnixTimeMilliseconds() - timestampMs;
        if (skew > _windowMs)
        {
            return Reject(context, GatewayError.BadSignature, $"The signature has expired: the timestamp is {skew} ms old; the window is {_windowMs} ms.");
        }

        if (-skew > _windowMs)
        {
            return Reject(context, GatewayError.BadSignature, $"The timestamp is {-skew} ms in the future; the window is {_windowMs} ms.");
        }

        if (nonce.Length is 0 or > 128)
        {
            return Reject(context, GatewayError.BadSignature, $"{RequestSigning.NonceHeader} must be 1 to 128 characters.");
        }

        return VerifyAsync(context, app, timestampMs, nonce, signature);
    }

    private async ValueTask<bool> VerifyAsync(HttpContext context, SigningApp app, long timestampMs, string nonce, string signature)
    {
        var (result, body) = await BufferedRequestBody.ReadAsync(context, _maxBody);
        switch (result)
        {
            case BufferedRequestBody.Result.TooLarge:
                await ProblemWriter.WriteAsync(context, GatewayError.PayloadTooLarge,
                    $"A signed request body may be at most {_maxBody} bytes on this API.");
                return false;
            case BufferedRequestBody.Result.ClientGone:
                BufferedRequestBody.AbortGoneClient(context);
                return false;
            case BufferedRequestBody.Result.ClientError:
                await ProblemWriter.WriteAsync(context, GatewayError.BadRequest, "The request body could not be read.");
                return false;
            case BufferedRequestBody.Result.TooSlow:
                await ProblemWriter.WriteAsync(context, GatewayError.RequestTimeout, BufferedRequestBody.TooSlowDetail);
                return false;
        }

        var request = context.Request;
        var (rawPath, rawQuery) = RawTarget(context);
        var signedHeaders = new KeyValuePair<string, string>[_headers.Length];
        for (var i = 0; i < _headers.Length; i++)
        {
            signedHeaders[i] = new(_headers[i], request.Headers.TryGetValue(_headers[i], out var values) ? string.Join(", ", values.ToArray()) : "");
        }

        var stringToSign = RequestSigning.StringToSign(app.AppKey, request.Method, RequestSigning.CanonicalPath(rawPath),
            RequestSigning.CanonicalQuery(rawQuery), signedHeaders, RequestSigning.BodyHash(body.Span), timestampMs, nonce);
        if (!RequestSigning.Verify(app.Secret, stringToSign, signature))
        {
            await ProblemWriter.WriteAsync(context, GatewayError.BadSignature, "The signature does not match the request.");
            return false;
        }

        switch (await _nonces.TryUseAsync(app.AppKey, nonce, _nonceTtl))
        {
            case NonceUse.Replayed:
                await ProblemWriter.WriteAsync(context, GatewayError.BadSignature, "The nonce was already used.");
                return false;
            case NonceUse.Unavailable:
                // Never let a signed request through unrecorded: that would reopen the replay window.
                await ProblemWriter.WriteAsync(context, GatewayError.NonceStoreUnavailable,
                    "The nonce could not be recorded, so the request cannot be checked for replay; retry with a new nonce.",
                    RetryAfterOneSecond);
                return false;
        }

        if (!_permitted.Contains(app.AppKey))
        {
            await ProblemWriter.WriteAsync(context, GatewayError.Forbidden, $"App '{app.AppKey}' has no permission for this API.");
            return false;
        }

        return true;
    }

    /// <summary>Path and query as the client sent them (the signature covers what the client signed, before any prefix strip).</summary>
    internal static (string Path, string Query) RawTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            var request = context.Request;
            return (request.PathBase.Add(request.Path).ToUriComponent(), request.QueryString.Value ?? "");
        }

        var question = raw.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? (raw, "") : (raw[..question], raw[question..]);
    }

    private static string? First(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static ValueTask<bool> Reject(HttpContext context, GatewayError error, string detail)
    {
        var written = ProblemWriter.WriteAsync(context, error, detail);
        return written.IsCompletedSuccessfully ? ValueTask.FromResult(false) : Await(written);

        static async ValueTask<bool> Await(Task task)
        {
            await task;
            return false;
        }
    }
}

/// <summary>Built-in values of the auth policy.</summary>
internal static class AuthDefaults
{
    public const int TimestampWindowMs = 300_000;
    public const int MaxSignedBodyBytes = 1024 * 1024;
    public const int ClockSkewMs = 60_000;
    public const int JwksRefreshMs = 600_000;
    public static readonly string[] Algorithms = ["RS256", "ES256"];
}
