using System.Security.Cryptography;
using System.Text;
using Gatehouse.Core.Security;

namespace Gatehouse.Sdk.Signing;

/// <summary>
/// Signs outgoing requests for a Gatehouse API that requires appKey/appSecret signatures: adds
/// <c>X-Gatehouse-AppKey</c>, <c>X-Gatehouse-Timestamp</c> (Unix ms), <c>X-Gatehouse-Nonce</c> (random) and
/// <c>X-Gatehouse-Signature</c> per <see cref="RequestSigning"/>. Thread-safe; one instance per app.
/// </summary>
public sealed class GatehouseSigner
{
    private readonly byte[] _secret;
    private readonly string[] _signedHeaders;
    private readonly TimeProvider _time;

    /// <param name="appKey">The app's key.</param>
    /// <param name="secret">The app's secret.</param>
    /// <param name="signedHeaders">The headers the API's policy lists in <c>auth.sign.headers</c> (same names).</param>
    /// <param name="time">Clock for the timestamp; the system clock by default.</param>
    public GatehouseSigner(string appKey, string secret, IEnumerable<string>? signedHeaders = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(appKey);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        AppKey = appKey;
        _secret = Encoding.UTF8.GetBytes(secret);
        _signedHeaders = signedHeaders?.ToArray() ?? [];
        _time = time ?? TimeProvider.System;
    }

    public string AppKey { get; }

    /// <summary>Signs <paramref name="request"/> in place, buffering its content (if any) to hash it.</summary>
    public async Task SignAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        Sign(request, body, _time.GetUtcNow().ToUnixTimeMilliseconds(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
    }

    /// <summary>Signs with a given timestamp and nonce (tests, replays on purpose); <paramref name="body"/> is the content sent.</summary>
    public void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, long timestampMs, string nonce)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no RequestUri; set it (absolute) before signing.");
        if (!uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("Sign after the request URI is absolute (the handler sees it after HttpClient.BaseAddress is applied).");
        }

        var headers = new KeyValuePair<string, string>[_signedHeaders.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            var name = _signedHeaders[i];
            var value = request.Headers.TryGetValues(name, out var values) || (request.Content?.Headers.TryGetValues(name, out values) ?? false)
                ? string.Join(", ", values!)
                : "";
            headers[i] = new(name, value);
        }

        var stringToSign = RequestSigning.StringToSign(AppKey, request.Method.Method, RequestSigning.CanonicalPath(uri.AbsolutePath),
            RequestSigning.CanonicalQuery(uri.Query), headers, RequestSigning.BodyHash(body), timestampMs, nonce);
        var signature = RequestSigning.Sign(_secret, stringToSign);
        Set(request, RequestSigning.AppKeyHeader, AppKey);
        Set(request, RequestSigning.TimestampHeader, timestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(request, RequestSigning.NonceHeader, nonce);
        Set(request, RequestSigning.SignatureHeader, signature);
    }

    private static void Set(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }
}

/// <summary>A <see cref="DelegatingHandler"/> that signs every request with a <see cref="GatehouseSigner"/>.</summary>
/// <example>
/// <code>
/// var client = new HttpClient(new GatehouseSigningHandler(new GatehouseSigner("orders-app", secret)) { InnerHandler = new SocketsHttpHandler() });
/// // or: services.AddHttpClient("gw").AddHttpMessageHandler(() =&gt; new GatehouseSigningHandler(signer));
/// </code>
/// </example>
public sealed class GatehouseSigningHandler : DelegatingHandler
{
    private readonly GatehouseSigner _signer;

    public GatehouseSigningHandler(GatehouseSigner signer)
    {
        _signer = signer;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // Every send (a retry by an outer handler included) gets a fresh timestamp and nonce.
        await _signer.SignAsync(request, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
