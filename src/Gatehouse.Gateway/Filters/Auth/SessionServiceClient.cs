using System.Net.Http.Headers;
using Gatehouse.Core.Config;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Asks one session service whether a token is logged in: <c>GET {checkUri}</c> with the token in
/// <c>X-Gatehouse-Session-Token</c> (contract in docs/login.md). Never throws: every failure is an
/// <see cref="SessionState.Unavailable"/> answer, logged without the token.
/// </summary>
internal sealed partial class SessionServiceClient
{
    /// <summary>A larger answer is a broken service, not a session; the check fails closed.</summary>
    public const int MaxAnswerBytes = 64 * 1024;

    /// <summary>While the service keeps failing, one warning per this interval; the rest go to Debug.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    private readonly Uri _uri;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _lastWarning = long.MinValue;

    public SessionServiceClient(Uri uri, HttpClient http, TimeProvider time, ILogger logger)
    {
        _uri = uri;
        _http = http;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The client for session checks: no proxy, no cookies (the handler must not carry one session's cookies
    /// into another's check), no redirects (a redirect is a broken service, not an answer), no decompression,
    /// answers up to <see cref="MaxAnswerBytes"/>; each check sets its own timeout.
    /// </summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    })
    {
        MaxResponseContentBufferSize = MaxAnswerBytes,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<SessionAnswer> AskAsync(string token, TimeSpan timeout)
    {
        SessionAnswer answer;
        try
        {
            // The timeout covers connect, headers and body. The waiting requests' own aborts do not cancel it: the
            // answer is shared by every request with the same token and is cached for the next ones.
            using var cancel = new CancellationTokenSource(timeout, _time);
            using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
            request.Headers.TryAddWithoutValidation(LoginDefaults.SessionTokenHeader, token);
            request.Headers.Accept.Add(Json);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(cancel.Token).ConfigureAwait(false);
            answer = SessionAnswer.FromResponse((int)response.StatusCode, body, _time.GetTimestamp(), _time.TimestampFrequency);
        }
        catch (OperationCanceledException)
        {
            answer = SessionAnswer.Unavailable($"no answer within {timeout.TotalMilliseconds:0} ms", _time.GetTimestamp());
        }
        catch (HttpRequestException ex)
        {
            // Unreachable, reset, or an answer over MaxResponseContentBufferSize.
            answer = SessionAnswer.Unavailable(ex.HttpRequestError == HttpRequestError.Unknown ? ex.Message : ex.HttpRequestError.ToString(),
                _time.GetTimestamp());
        }
        catch (Exception ex)
        {
            answer = SessionAnswer.Unavailable(ex.GetType().Name, _time.GetTimestamp());
        }

        if (answer.State == SessionState.Unavailable)
        {
            LogUnavailable(answer.Reason!);
        }

        return answer;
    }

    private void LogUnavailable(string reason)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        var interval = (long)(WarningInterval.TotalSeconds * _time.TimestampFrequency);
        if ((last == long.MinValue || now - last >= interval) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Log.Unavailable(_logger, _uri, reason);
        }
        else
        {
            Log.UnavailableAgain(_logger, _uri, reason);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4111, Level = LogLevel.Warning,
            Message = "Session service {Uri} could not answer a login check; requests get 503 login_check_unavailable: {Reason}")]
        public static partial void Unavailable(ILogger logger, Uri uri, string reason);

        [LoggerMessage(EventId = 4112, Level = LogLevel.Debug, Message = "Session service {Uri} could not answer a login check: {Reason}")]
        public static partial void UnavailableAgain(ILogger logger, Uri uri, string reason);
    }
}
