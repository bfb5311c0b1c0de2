using System.Globalization;
using Gatehouse.Core.Security;
using Microsoft.Extensions.Options;

namespace Gatehouse.Admin.Publishing;

/// <summary>The answer of a gateway's control port: its status, body and media type.</summary>
internal sealed record ControlAnswer(int Status, string Body, string? MediaType);

/// <summary>
/// Signed calls from the admin to one gateway's control port that wait for the answer (route explanations), as opposed
/// to the fire-and-forget pushes of <see cref="GatewayNotifier"/>. Signed with the control secret the same way
/// (<see cref="ControlSignature"/>); addressed directly by the control address the node reported.
/// </summary>
internal sealed class GatewayControlClient : IDisposable
{
    /// <summary>An explanation is computed in memory; anything slower than this is a gateway in trouble.</summary>
    private static readonly TimeSpan MinimumTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;

    public GatewayControlClient(IOptions<AdminOptions> options, TimeProvider time)
    {
        _time = time;
        _timeout = options.Value.GatewayPushTimeout > MinimumTimeout ? options.Value.GatewayPushTimeout : MinimumTimeout;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = options.Value.GatewayPushTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// POSTs <paramref name="body"/> (JSON) to <paramref name="path"/> on the gateway at <paramref name="address"/>, signed
    /// with <paramref name="secret"/>. Throws <see cref="HttpRequestException"/> when the node cannot be reached or
    /// <see cref="TimeoutException"/> when it does not answer in time.
    /// </summary>
    public async Task<ControlAnswer> PostAsync(string address, string path, byte[] body, string secret, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(address.TrimEnd('/') + path, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new HttpRequestException($"control address '{address}' is not an http(s) URL");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        request.Headers.Add(ControlSignature.TimestampHeader, now.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(ControlSignature.SignatureHeader, ControlSignature.Sign(secret, now, "POST", uri.PathAndQuery, body));
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            return new ControlAnswer((int)response.StatusCode, text, response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {_timeout.TotalMilliseconds:0} ms");
        }
    }

    public void Dispose() => _http.Dispose();
}
