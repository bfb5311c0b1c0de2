using System.Text;
using Gatehouse.Gateway.Filters.Auth;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

/// <summary>The session service contract (docs/login.md) as the gateway reads it.</summary>
public class SessionAnswerTests
{
    private const long Now = 1_000_000;
    private const long Frequency = 1000; // one tick per millisecond

    private static SessionAnswer Parse(int status, string body) => SessionAnswer.FromResponse(status, Encoding.UTF8.GetBytes(body), Now, Frequency);

    [Theory]
    [InlineData("""{"userId":"alice"}""", "alice")]
    [InlineData("""{"userId":42}""", "42")]
    [InlineData("""{"name":"x","roles":["a",{"b":1}],"userId":"u-1","ttlMs":null}""", "u-1")]
    [InlineData("""{"userId":"user@example.com","extra":{"nested":true}}""", "user@example.com")]
    public void Status200WithUserId_LoggedIn(string body, string userId)
    {
        var answer = Parse(200, body);

        Assert.Equal(SessionState.LoggedIn, answer.State);
        Assert.Equal(userId, answer.UserId);
        Assert.Equal(Now, answer.FetchedAt);
        Assert.Equal(long.MaxValue, answer.ExpiresAt);
    }

    [Fact]
    public void TtlMs_SetsTheExpiry()
    {
        var answer = Parse(200, """{"userId":"alice","ttlMs":250}""");

        Assert.Equal(Now + 250, answer.ExpiresAt);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public void NotLoggedInStatuses_LoggedOut(int status)
    {
        Assert.Equal(SessionState.LoggedOut, Parse(status, "whatever").State);
    }

    [Theory]
    [InlineData(500, """{"userId":"alice"}""", "answered 500")]
    [InlineData(302, "", "answered 302")]
    [InlineData(204, "", "answered 204")]
    [InlineData(200, "", "malformed JSON")]
    [InlineData(200, "not json", "malformed JSON")]
    [InlineData(200, "[1]", "without a JSON object")]
    [InlineData(200, """{"userId":"alice"} trailing""", "malformed JSON")]
    [InlineData(200, """{"user":"alice"}""", "without a usable userId")]
    [InlineData(200, """{"userId":""}""", "without a usable userId")]
    [InlineData(200, """{"userId":" alice"}""", "without a usable userId")]
    [InlineData(200, """{"userId":"al\nice"}""", "without a usable userId")]
    [InlineData(200, """{"userId":"ålice"}""", "without a usable userId")]
    [InlineData(200, """{"userId":{"id":"alice"}}""", "without a usable userId")]
    [InlineData(200, """{"userId":1.5}""", "without a usable userId")]
    [InlineData(200, """{"userId":"alice","ttlMs":-1}""", "ttlMs is not a non-negative integer")]
    [InlineData(200, """{"userId":"alice","ttlMs":"5"}""", "ttlMs is not a non-negative integer")]
    public void AnythingElse_Unavailable(int status, string body, string reason)
    {
        var answer = Parse(status, body);

        Assert.Equal(SessionState.Unavailable, answer.State);
        Assert.Contains(reason, answer.Reason);
    }

    [Fact]
    public void OverlongUserId_Unavailable()
    {
        var answer = Parse(200, $$"""{"userId":"{{new string('a', SessionAnswer.MaxUserIdLength + 1)}}"}""");

        Assert.Equal(SessionState.Unavailable, answer.State);
    }
}
