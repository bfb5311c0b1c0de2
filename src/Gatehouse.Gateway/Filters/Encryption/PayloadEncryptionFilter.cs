using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using Gatehouse.Core.Config;
using Gatehouse.Core.Security;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Http;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Gatehouse.Gateway.Filters.Encryption;

/// <summary>
/// <c>policy.encryption</c> of one API: decrypts the request body (a <see cref="PayloadEnvelope"/> made with the calling
/// app's key) before it is forwarded, and seals the response body on the way out: with <c>encryptResponse</c> (the
/// default) it declares the body phase, so the chain collects the node's body and hands it to
/// <see cref="OnResponseBodyAsync"/>. The last filter of the chain: callers are authenticated and rate limited before
/// the gateway spends a buffer and a decryption on them.
/// </summary>
/// <remarks>
/// <para>Answers, in order: no <c>X-Gatehouse-AppKey</c> or an unknown (or disabled) app → 401 <c>unauthorized</c>; an app
/// without permission for the API → 403 <c>forbidden</c> (the permission sets of the signature filter); an upgrade
/// request → 400 <c>bad_request</c> (a tunnel cannot be sealed); a body that is not an envelope → 415
/// <c>unsupported_media_type</c>; a declared or read length over <c>maxBodyBytes</c> → 413 <c>payload_too_large</c>
/// (the rest unread, the connection closed); an envelope that does not open → 400 <c>bad_ciphertext</c>. In each of
/// these cases nothing is sent to a node.</para>
/// <para>A request without a body passes as it is; its response is still encrypted.</para>
/// </remarks>
internal sealed class PayloadEncryptionFilter : BuiltInFilter
{
    private readonly FrozenDictionary<string, PayloadKey> _keys;
    private readonly FrozenSet<string> _permitted;
    private readonly int _maxBody;

    public PayloadEncryptionFilter(EncryptionConfig config, FrozenDictionary<string, PayloadKey> keys, FrozenSet<string> permitted)
    {
        _keys = keys;
        _permitted = permitted;
        _maxBody = config.MaxBodyBytes ?? EncryptionDefaults.MaxBodyBytes;
        EncryptResponse = config.EncryptResponse ?? true;
    }

    /// <summary>Whether the response is sealed; when false the filter only decrypts requests.</summary>
    public bool EncryptResponse { get; }

    /// <inheritdoc/>
    public override PluginPhases Phases => EncryptResponse ? PluginPhases.Request | PluginPhases.ResponseBody : PluginPhases.Request;

    /// <summary>The response is collected up to the same limit as the request (past it: 502 <c>response_too_large</c>).</summary>
    public override int MaxResponseBodyBytes => _maxBody;

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var request = context.Request;
        var appKey = request.Headers.TryGetValue(RequestSigning.AppKeyHeader, out var values) && values.Count > 0 ? values[0] : null;
        if (string.IsNullOrEmpty(appKey))
        {
            return Reject(context, GatewayError.Unauthorized,
                $"The API encrypts its payloads with the calling app's key: send {RequestSigning.AppKeyHeader}.");
        }

        if (!_keys.TryGetValue(appKey, out var key))
        {
            return Reject(context, GatewayError.Unauthorized, "Unknown appKey.");
        }

        if (!_permitted.Contains(appKey))
        {
            return Reject(context, GatewayError.Forbidden, $"App '{appKey}' has no permission for this API.");
        }

        if (request.Headers.Upgrade.Count > 0 && context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            return Reject(context, GatewayError.BadRequest, "Upgrade requests cannot be carried on an API with payload encryption.");
        }

        var hasBody = Forwarding.HttpForwarder.HasRequestBody(request);
        if (hasBody && !PayloadEnvelope.IsEnvelopeContentType(request.ContentType))
        {
            return Reject(context, GatewayError.UnsupportedMediaType,
                $"The API requires an encrypted body: Content-Type {PayloadEnvelope.ContentType} (see the envelope format).", close: true);
        }

        if (request.ContentLength > _maxBody)
        {
            return Reject(context, GatewayError.PayloadTooLarge, TooLarge(), close: true);
        }

        return hasBody ? DecryptAsync(context, key) : Passed(context, key, []);
    }

    private async ValueTask<bool> DecryptAsync(HttpContext context, PayloadKey key)
    {
        var (result, buffer, length) = await BufferedRequestBody.ReadPooledAsync(context, _maxBody);
        switch (result)
        {
            case BufferedRequestBody.Result.TooLarge:
                await Reject(context, GatewayError.PayloadTooLarge, TooLarge(), close: true);
                return false;
            case BufferedRequestBody.Result.ClientGone:
                BufferedRequestBody.AbortGoneClient(context);
                return false;
            case BufferedRequestBody.Result.ClientError:
                await Reject(context, GatewayError.BadRequest, "The request body could not be read.");
                return false;
            case BufferedRequestBody.Result.TooSlow:
                await Reject(context, GatewayError.RequestTimeout, BufferedRequestBody.TooSlowDetail);
                return false;
        }

        if (buffer is null)
        {
            return await Passed(context, key, []);
        }

        var exchange = EncryptedExchange.For(context, key);
        var cipher = key.Rent();
        OpenResult opened;
        string? contentType;
        Range body;
        try
        {
            opened = PayloadEnvelope.Open(cipher, buffer.AsSpan(0, length), exchange.RequestAad(), out contentType, out body);
        }
        finally
        {
            key.Return(cipher);
        }

        if (opened != OpenResult.Ok)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            await Reject(context, GatewayError.BadCiphertext, PayloadEnvelope.Describe(opened));
            return false;
        }

        exchange.RequestNonce = PayloadEnvelope.NonceOf(buffer).ToArray();
        var (offset, bodyLength) = body.GetOffsetAndLength(length);
        BufferedRequestBody.Replace(context, buffer, offset, bodyLength);

        // The node sees an ordinary request: the plaintext's own type and exact length, no chunked framing left over.
        var headers = context.Request.Headers;
        headers.Remove(HeaderNames.TransferEncoding);
        headers.ContentLength = bodyLength;
        if (contentType is null)
        {
            headers.Remove(HeaderNames.ContentType);
        }
        else
        {
            headers.ContentType = contentType;
        }

        return await Passed(context, key, exchange.RequestNonce, exchange);
    }

    private ValueTask<bool> Passed(HttpContext context, PayloadKey key, byte[] requestNonce, EncryptedExchange? exchange = null)
    {
        if (EncryptResponse)
        {
            exchange ??= EncryptedExchange.For(context, key);
            exchange.RequestNonce = requestNonce;

            // A compressed plaintext would leak through the envelope's length (BREACH); the node answers uncompressed.
            context.Request.Headers.Remove(HeaderNames.AcceptEncoding);

            // Kept for the body phase, which binds the response envelope to this request.
            context.Features.Set(exchange);
        }

        return ValueTask.FromResult(true);
    }

    /// <summary>
    /// Body phase: seals the node's collected response body into an envelope, which the chain sends. Not called when a
    /// problem response went out instead (it bypassed the collection).
    /// </summary>
    public override ValueTask OnResponseBodyAsync(PluginContext context, PluginResponseBody body)
    {
        var http = context.Http;
        var response = http.Response;
        var status = response.StatusCode;
        if (http.Features.Get<EncryptedExchange>() is not { } exchange || HttpMethods.IsHead(http.Request.Method)
            || status is < 200 or 204 or 205 or 304)
        {
            // No body to seal (RFC 9110 §6.4.1); the headers go out as the node sent them.
            return ValueTask.CompletedTask;
        }

        var contentType = response.ContentType;
        if (contentType is not null && !PayloadEnvelope.IsContentTypeText(contentType))
        {
            contentType = null;
        }

        var plaintext = body.Content.Span;
        var length = PayloadEnvelope.SealedLength(PayloadEnvelope.ContentTypeBytes(contentType), plaintext.Length);
        var envelope = body.Rewrite(length).Span;
        Span<byte> nonce = stackalloc byte[PayloadEnvelope.NonceSize];
        RandomNumberGenerator.Fill(nonce);
        var cipher = exchange.Key.Rent();
        try
        {
            PayloadEnvelope.Seal(cipher, nonce, contentType, plaintext, exchange.ResponseAad(status), envelope);
        }
        finally
        {
            exchange.Key.Return(cipher);
        }

        // Whatever described the plaintext's bytes no longer describes the envelope's; the chain sets Content-Length.
        var headers = response.Headers;
        headers.Remove(HeaderNames.ContentMD5);
        headers.Remove(HeaderNames.ContentRange);
        headers.Remove(HeaderNames.AcceptRanges);
        headers.ContentType = PayloadEnvelope.ContentType;
        return ValueTask.CompletedTask;
    }

    private string TooLarge() =>
        $"An encrypted request body may be at most {_maxBody.ToString(CultureInfo.InvariantCulture)} bytes on this API.";

    private static ValueTask<bool> Reject(HttpContext context, GatewayError error, string detail, bool close = false)
    {
        // An unread body would otherwise be drained to keep the connection; closing is cheaper and safer.
        var written = ProblemWriter.WriteAsync(context, error, detail, close ? [new("Connection", "close")] : null);
        return written.IsCompletedSuccessfully ? ValueTask.FromResult(false) : Await(written);

        static async ValueTask<bool> Await(Task task)
        {
            await task;
            return false;
        }
    }
}

/// <summary>What the envelopes of one exchange are bound to: the app, the request's method, path and query, its nonce.</summary>
internal sealed class EncryptedExchange
{
    private readonly string _method;
    private readonly string _path;
    private readonly string _query;

    private EncryptedExchange(PayloadKey key, string method, string path, string query)
    {
        Key = key;
        _method = method;
        _path = path;
        _query = query;
    }

    public PayloadKey Key { get; }

    /// <summary>Nonce of the request envelope; empty when the request had no body.</summary>
    public byte[] RequestNonce { get; set; } = [];

    /// <summary>Bound to the target as the client sent it, before any prefix strip (the same canonical form as signatures).</summary>
    public static EncryptedExchange For(HttpContext context, PayloadKey key)
    {
        var (rawPath, rawQuery) = SignatureFilter.RawTarget(context);
        return new EncryptedExchange(key, context.Request.Method, RequestSigning.CanonicalPath(rawPath), RequestSigning.CanonicalQuery(rawQuery));
    }

    public byte[] RequestAad() => PayloadEnvelope.RequestAad(Key.AppKey, _method, _path, _query);

    public byte[] ResponseAad(int status) => PayloadEnvelope.ResponseAad(Key.AppKey, _method, _path, _query, status, RequestNonce);
}

/// <summary>Built-in values of the encryption policy.</summary>
internal static class EncryptionDefaults
{
    public const int MaxBodyBytes = 1024 * 1024;
}
