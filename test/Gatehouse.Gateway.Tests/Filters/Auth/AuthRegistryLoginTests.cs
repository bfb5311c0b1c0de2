using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Filters;
using Gatehouse.Gateway.Filters.Auth;
using Gatehouse.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Filters.Auth;

/// <summary>How <see cref="AuthRegistry"/> compiles <c>auth.login</c> into an API's filters.</summary>
public class AuthRegistryLoginTests
{
    private static readonly LoginConfig Login = new() { CheckUri = "http://127.0.0.1:9/check", TokenCookie = "SESSION", UserIdHeader = "X-Uid" };
    private readonly AuthRegistry _registry = new(new LocalNonceStore(new TestTimeProvider()), new TestTimeProvider());

    /// <summary>The API's auth filters, as the built-in factories of access control create them, in chain order.</summary>
    private BuiltInFilter[] Compile(PolicyConfig? global, PolicyConfig? service, PolicyConfig? api)
    {
        var apiConfig = new ApiConfig { Id = "get", Path = "/x", Policy = api };
        var serviceConfig = new ServiceConfig { Name = "svc", Policy = service, Apis = [apiConfig] };
        var config = new GatewayConfig { Global = global, Services = [serviceConfig] };
        var scope = new BuiltInFilterScope(global, serviceConfig, apiConfig, PolicyMerger.Merge(api, service, global),
            _registry.Begin(config, "test"), []);
        var filters = new List<BuiltInFilter>();
        foreach (var factory in new BuiltInFilterFactories(new Gatehouse.Gateway.Filters.RateLimiting.RateLimiterRegistry(new TestTimeProvider())).AccessControl)
        {
            if (factory.Create(scope) is { } filter)
            {
                filters.Add(filter);
            }
        }

        return [.. filters];
    }

    private static PolicyConfig Policy(LoginConfig? login = null, JwtConfig? jwt = null) => new() { Auth = new AuthConfig { Login = login, Jwt = jwt } };

    [Fact]
    public void JwtAndLogin_LoginRunsAfterTheToken()
    {
        var jwt = new JwtConfig { Issuer = "i", JwksUri = "http://127.0.0.1:9/jwks" };

        var filters = Compile(Policy(jwt: jwt), Policy(login: Login), null);

        Assert.Collection(filters, f => Assert.IsType<JwtFilter>(f), f => Assert.IsType<LoginFilter>(f));
    }

    [Fact]
    public void SameCheckUri_OneCacheForEveryApiAndCompile()
    {
        var first = _registry.Sessions(Login.CheckUri!, TimeSpan.FromSeconds(1));
        Compile(null, Policy(login: Login), null);
        var second = _registry.Sessions(Login.CheckUri!, TimeSpan.FromSeconds(1));

        Assert.Same(first, second);
        Assert.NotSame(first, _registry.Sessions("http://127.0.0.1:9/other", TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task SwitchedOffOnTheApi_OuterLevelsUserIdHeaderStillRemoved()
    {
        var filters = Compile(null, Policy(login: Login), Policy(login: new LoginConfig { Required = false }));

        var filter = Assert.Single(filters);
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Uid"] = "root";
        context.Request.Headers[LoginDefaults.UserIdHeader] = "kept";

        Assert.True(await filter.OnRequestAsync(context));
        Assert.False(context.Request.Headers.ContainsKey("X-Uid"));
        Assert.Equal("kept", context.Request.Headers[LoginDefaults.UserIdHeader].ToString());
    }

    [Fact]
    public void NoLoginBlock_NoFilter()
    {
        Assert.Empty(Compile(null, null, null));
    }
}
