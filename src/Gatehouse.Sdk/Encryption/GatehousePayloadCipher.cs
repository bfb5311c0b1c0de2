using System.Net.Http.Headers;
using System.Security.Cryptography;
using Gatehouse.Core.Security;

namespace Gatehouse.Sdk.Encryption;

/// <summary>
/// Encrypts request bodies and decrypts response bodies for a Gatehouse API whose policy sets <c>encryption</c>, as
/// one app: AES-256-GCM with the key derived from the app's secret, in the <see cref="PayloadEnvelope"/> format.
/// Thread-safe; one instance per app.
/// </summary>
public sealed class GatehousePayloadCipher
{
    private readonly byte[] _key;

    /// <param name="appKey">The app's key, sent in <c>X-Gatehouse-AppKey</c> and bound into every envelope.</param>
    /// <param name="secret">The app's secret (the same one that signs requests).</param>
    public GatehousePayloadCipher(string appKey, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(appKey);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        AppKey = appKey;
        _key = PayloadEnvelope.DeriveKey(secret);
    }

    public string AppKey { get; }

    /// <summary>
    /// Replaces the request's content (if any) with its envelope and sets <c>X-Gatehouse-AppKey</c>. Returns the
    /// request envelope's nonce, which <see cref="OpenResponseAsync"/> needs; empty when the request has no content.
    /// </summary>
    public async Task<byte[]> SealRequestAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (path, query) = Target(request);
        request.Headers.Remove(RequestSigning.AppKeyHeader);
        request.Headers.TryAddWithoutValidation(RequestSigning.AppKeyHeader, AppKey);
        if (request.Content is null)
        {
            return [];
        }

        var body = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var contentType = request.Content.Headers.ContentType?.ToString();
        var nonce = RandomNumberGenerator.GetBytes(PayloadEnvelope.NonceSize);
        var envelope = new byte[PayloadEnvelope.SealedLength(PayloadEnvelope.ContentTypeBytes(contentType), body.Length)];
        using (var aes = new AesGcm(_key, PayloadEnvelope.TagSize))
        {
            PayloadEnvelope.Seal(aes, nonce, contentType, body, PayloadEnvelope.RequestAad(AppKey, request.Method.Method, path, query), envelope);
        }

        // Other content headers (Content-Language, ...) describe the plaintext; they travel along as they were.
        var sealedContent = new ByteArrayContent(envelope);
        foreach (var header in request.Content.Headers)
        {
            if (!header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                sealedContent.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        sealedContent.Headers.ContentType = new MediaTypeHeaderValue(PayloadEnvelope.ContentType);
        request.Content.Dispose();
        request.Content = sealedContent;
        return nonce;
    }

    /// <summary>
    /// Replaces an envelope response's content with the decrypted body and its original Content-Type. A response that
    /// is not an envelope (a gateway error in problem JSON, a response without a body) is left as it is.
    /// </summary>
    /// <exception cref="GatehousePayloadException">The envelope does not open: altered, or not made for this request.</exception>
    public async Task OpenResponseAsync(HttpResponseMessage response, byte[] requestNonce, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        var request = response.RequestMessage ?? throw new InvalidOperationException("The response has no RequestMessage.");
        if (!PayloadEnvelope.IsEnvelopeContentType(response.Content.Headers.ContentType?.MediaType))
        {
            return;
        }

        var (path, query) = Target(request);
        var envelope = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var aad = PayloadEnvelope.ResponseAad(AppKey, request.Method.Method, path, query, (int)response.StatusCode, requestNonce);
        OpenResult result;
        string? contentType;
        Range body;
        using (var aes = new AesGcm(_key, PayloadEnvelope.TagSize))
        {
            result = PayloadEnvelope.Open(aes, envelope, aad, out contentType, out body);
        }

        if (result != OpenResult.Ok)
        {
            throw new GatehousePayloadException(result, PayloadEnvelope.Describe(result));
        }

        var (offset, length) = body.GetOffsetAndLength(envelope.Length);
        var plain = new ByteArrayContent(envelope, offset, length);
        foreach (var header in response.Content.Headers)
        {
            if (!header.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
                && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                plain.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        if (contentType is not null)
        {
            plain.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        response.Content.Dispose();
        response.Content = plain;
    }

    /// <summary>Canonical path and query of the absolute request URI, as the gateway computes them from the request target.</summary>
    private static (string Path, string Query) Target(HttpRequestMessage request)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no RequestUri; set it (absolute) first.");
        if (!uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("Encrypt after the request URI is absolute (the handler sees it after HttpClient.BaseAddress is applied).");
        }

        return (RequestSigning.CanonicalPath(uri.AbsolutePath), RequestSigning.CanonicalQuery(uri.Query));
    }
}

/// <summary>A response envelope did not open: the payload was altered, or it was not made for this request and app.</summary>
public sealed class GatehousePayloadException(OpenResult result, string message) : CryptographicException(message)
{
    public OpenResult Result { get; } = result;
}

/// <summary>
/// A <see cref="DelegatingHandler"/> that encrypts every request body and decrypts every encrypted response body with a
/// <see cref="GatehousePayloadCipher"/>. Put it outside a <c>GatehouseSigningHandler</c>, so the signature covers the
/// envelope that is actually sent.
/// </summary>
/// <example>
/// <code>
/// var cipher = new GatehousePayloadCipher("orders-app", secret);
/// var client = new HttpClient(new GatehouseEncryptionHandler(cipher) { InnerHandler = new SocketsHttpHandler() });
/// // with signing: new GatehouseEncryptionHandler(cipher) { InnerHandler = new GatehouseSigningHandler(signer) { InnerHandler = ... } }
/// </code>
/// </example>
public sealed class GatehouseEncryptionHandler : DelegatingHandler
{
    private readonly GatehousePayloadCipher _cipher;

    public GatehouseEncryptionHandler(GatehousePayloadCipher cipher)
    {
        ArgumentNullException.ThrowIfNull(cipher);
        _cipher = cipher;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var nonce = await _cipher.SealRequestAsync(request, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await _cipher.OpenResponseAsync(response, nonce, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }
}
