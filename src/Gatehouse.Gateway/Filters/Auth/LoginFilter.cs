using Gatehouse.Core.Config;
using Gatehouse.Gateway.Http;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Filters.Auth;

/// <summary>
/// Requires a logged-in session on one API: reads the session token (header, then cookie), asks the session
/// service through the shared <see cref="LoginSessionCache"/>, and forwards the user id in its header.
/// </summary>
/// <remarks>
/// <para>The user-id header is removed from every request first, whatever happens next, so a caller can never
/// set it. No token → 401 without asking the service; logged out → 401; the service down, slow or answering
/// nonsense → 503 <c>login_check_unavailable</c> (fail closed: the request is never forwarded unchecked).</para>
/// <para>A cached answer costs one keyed hash of the token (SipHash, on the stack) and one lock-free dictionary read; nothing is
/// allocated on that path.</para>
/// </remarks>
internal sealed class LoginFilter : BuiltInFilter
{
    // RFC 9110 §15.5.2: a 401 carries a challenge. The scheme is ours; browsers show no password dialog for it.
    private static readonly KeyValuePair<string, string>[] Challenge = [new("WWW-Authenticate", "Session realm=\"gatehouse\"")];

    private readonly LoginSessionCache _cache;
    private readonly byte[] _macKey;
    private readonly TimeProvider _time;
    private readonly string? _tokenHeader;
    private readonly string? _tokenCookie;
    private readonly string _userIdHeader;
    private readonly long _cacheTicks;
    private readonly long _negativeTicks;
    private readonly TimeSpan _timeout;
    private readonly string _missingDetail;

    public LoginFilter(LoginConfig config, LoginSessionCache cache, byte[] macKey, TimeProvider time)
    {
        _cache = cache;
        _macKey = macKey;
        _time = time;
        _tokenHeader = config.TokenHeader;
        _tokenCookie = config.TokenCookie;
        _userIdHeader = config.UserIdHeader ?? LoginDefaults.UserIdHeader;
        _cacheTicks = Ticks(config.CacheMs ?? LoginDefaults.CacheMs, time);
        _negativeTicks = Ticks(config.NegativeCacheMs ?? LoginDefaults.NegativeCacheMs, time);
        _timeout = TimeSpan.FromMilliseconds(config.TimeoutMs ?? LoginDefaults.TimeoutMs);
        var sources = (_tokenHeader, _tokenCookie) switch
        {
            ({ } header, { } cookie) => $"header '{header}' or cookie '{cookie}'",
            ({ } header, null) => $"header '{header}'",
            _ => $"cookie '{_tokenCookie}'",
        };
        _missingDetail = $"The API requires a logged-in session; no session token was sent ({sources}).";
    }

    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        headers.Remove(_userIdHeader);

        switch (SessionToken.Read(headers, _tokenHeader, _tokenCookie, out var token))
        {
            case SessionTokenRead.Missing:
                return Reject(context, GatewayError.Unauthorized, _missingDetail);
            case SessionTokenRead.Malformed:
                return Reject(context, GatewayError.Unauthorized, "The session token is malformed.");
        }

        var key = SessionToken.Key(_macKey, token);
        var now = _time.GetTimestamp();
        if (_cache.Find(key) is { } answer && IsFresh(answer, now))
        {
            return Apply(context, answer);
        }

        return CheckAsync(context, key, token.ToString(), now);
    }

    private bool IsFresh(SessionAnswer answer, long now) => answer.State switch
    {
        SessionState.LoggedIn => now - answer.FetchedAt < _cacheTicks && now < answer.ExpiresAt,
        SessionState.LoggedOut => now - answer.FetchedAt < _negativeTicks,
        _ => false,
    };

    private async ValueTask<bool> CheckAsync(HttpContext context, SessionKey key, string token, long missedAt)
    {
        SessionAnswer answer;
        try
        {
            // The check is shared with other requests; this one stops waiting when its client goes away.
            answer = await _cache.CheckAsync(key, token, _timeout, missedAt).WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            context.Abort();
            return false;
        }

        return await Apply(context, answer);
    }

    private ValueTask<bool> Apply(HttpContext context, SessionAnswer answer)
    {
        switch (answer.State)
        {
            case SessionState.LoggedIn:
                context.Request.Headers[_userIdHeader] = answer.UserId;
                return ValueTask.FromResult(true);
            case SessionState.LoggedOut:
                return Reject(context, GatewayError.Unauthorized, "The session is not logged in.");
            default:
                return Reject(context, GatewayError.LoginCheckUnavailable, "The session service could not be asked whether the caller is logged in.");
        }
    }

    private static async ValueTask<bool> Reject(HttpContext context, GatewayError error, string detail)
    {
        await ProblemWriter.WriteAsync(context, error, detail, error == GatewayError.Unauthorized ? Challenge : null);
        return false;
    }

    private static long Ticks(int milliseconds, TimeProvider time) => milliseconds * time.TimestampFrequency / 1000;
}

/// <summary>Removes one request header and lets the request through (the user-id header where login is turned off).</summary>
internal sealed class RemoveHeaderFilter(string header) : BuiltInFilter
{
    public override ValueTask<bool> OnRequestAsync(HttpContext context)
    {
        context.Request.Headers.Remove(header);
        return ValueTask.FromResult(true);
    }
}
