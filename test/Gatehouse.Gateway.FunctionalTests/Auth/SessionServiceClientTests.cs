using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Gateway.FunctionalTests.Auth;

/// <summary><see cref="SessionServiceClient"/> against a real session service on loopback: the edges of the contract.</summary>
public class SessionServiceClientTests : IAsyncLifetime
{
    private readonly HttpClient _http = SessionServiceClient.CreateHttpClient();

    private TestBackend _service = null!;
    private int _redirectTargetHits;

    public async Task InitializeAsync()
    {
        _service = await TestBackend.StartAsync(async context =>
        {
            switch (context.Request.Path.Value)
            {
                case "/big":
                    await context.Response.WriteAsync($$"""{"userId":"alice","pad":"{{new string('x', SessionServiceClient.MaxAnswerBytes)}}"}""");
                    break;
                case "/redirect":
                    context.Response.Redirect("/target");
                    break;
                case "/target":
                    Interlocked.Increment(ref _redirectTargetHits);
                    await context.Response.WriteAsync("""{"userId":"alice"}""");
                    break;
                case "/echo":
                    await context.Response.WriteAsJsonAsync(new { userId = context.Request.Headers["X-Gatehouse-Session-Token"].ToString() });
                    break;
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _http.Dispose();
    }

    private Task<SessionAnswer> AskAsync(string path, string token = "tok") =>
        new SessionServiceClient(new Uri(_service.BaseAddress + path), _http, TimeProvider.System, NullLogger.Instance)
            .AskAsync(token, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task TokenSentInItsHeader()
    {
        var answer = await AskAsync("/echo", "abc.DEF-123");

        Assert.Equal(SessionState.LoggedIn, answer.State);
        Assert.Equal("abc.DEF-123", answer.UserId);
    }

    [Fact]
    public async Task AnswerOver64KiB_Unavailable()
    {
        var answer = await AskAsync("/big");

        Assert.Equal(SessionState.Unavailable, answer.State);
    }

    [Fact]
    public async Task Redirect_NotFollowed_Unavailable()
    {
        var answer = await AskAsync("/redirect");

        Assert.Equal(SessionState.Unavailable, answer.State);
        Assert.Contains("302", answer.Reason);
        Assert.Equal(0, _redirectTargetHits);
    }
}
