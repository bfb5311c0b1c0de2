using System.Net;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Forwarding;

public sealed class UpstreamClientFactoryTests
{
    [Fact]
    public void GetInvoker_EqualSettings_SameInvoker()
    {
        using var factory = new UpstreamClientFactory();

        var first = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));
        var second = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));

        Assert.Same(first, second);
        Assert.Equal(1, factory.Count);
    }

    [Fact]
    public void GetInvoker_DifferentSettings_DifferentInvokers()
    {
        using var factory = new UpstreamClientFactory();

        var first = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)));
        var second = factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(3)) { MaxConnectionsPerServer = 10 });

        Assert.NotSame(first, second);
        Assert.Equal(2, factory.Count);
    }

    [Fact]
    public void GetInvoker_AfterDispose_Throws()
    {
        var factory = new UpstreamClientFactory();
        factory.GetInvoker(UpstreamTransportSettings.Default);
        factory.Dispose();

        Assert.Throws<ObjectDisposedException>(() => factory.GetInvoker(new UpstreamTransportSettings(TimeSpan.FromSeconds(9))));
    }

    [Fact]
    public void CreateHandler_ProxyingSettings_Applied()
    {
        var settings = new UpstreamTransportSettings(TimeSpan.FromSeconds(2))
        {
            MaxConnectionsPerServer = 64,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(3),
        };

        using var handler = UpstreamClientFactory.CreateHandler(settings);

        Assert.False(handler.UseProxy);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.Null(handler.ActivityHeadersPropagator);
        Assert.True(handler.EnableMultipleHttp2Connections);
        Assert.Equal(TimeSpan.FromSeconds(2), handler.ConnectTimeout);
        Assert.Equal(64, handler.MaxConnectionsPerServer);
        Assert.Equal(TimeSpan.FromSeconds(30), handler.PooledConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(3), handler.PooledConnectionLifetime);
    }

    [Fact]
    public void For_DefaultPolicy_ReusesTheDefaultSettings()
    {
        Assert.Same(UpstreamTransportSettings.Default, UpstreamTransportSettings.For(EffectivePolicy.Default));
        Assert.Equal(TimeSpan.FromSeconds(1),
            UpstreamTransportSettings.For(EffectivePolicy.Default with { ConnectTimeout = TimeSpan.FromSeconds(1) }).ConnectTimeout);
    }
}

public sealed class ForwarderCancellationSourceTests
{
    [Fact]
    public void ClientAbort_RecordedAsClient()
    {
        using var client = new CancellationTokenSource();
        var source = ForwarderCancellationSource.Rent(client.Token);

        client.Cancel();

        Assert.True(source.IsCancellationRequested);
        Assert.True(source.CanceledByClient);
        Assert.False(source.TimedOut);
        source.Return();
    }

    [Fact]
    public async Task ActivityTimeout_RecordedAsTimeoutAndKeptWhenTheForwarderCancelsAfterwards()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Token.Register(() => fired.TrySetResult());

        source.SetActivityTimeout(TimeSpan.FromMilliseconds(20));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(10));
        source.CancelByForwarder();

        Assert.True(source.TimedOut);
        Assert.False(source.CanceledByForwarder);
        source.Return();
    }

    [Fact]
    public void CancelByForwarder_NotATimeout()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);

        source.CancelByForwarder();

        Assert.True(source.CanceledByForwarder);
        Assert.False(source.TimedOut);
        source.Return();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void SetActivityTimeout_ZeroOrInfinite_NeverFires(int milliseconds)
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);

        source.SetActivityTimeout(TimeSpan.FromMilliseconds(milliseconds));
        source.ResetTimeout();

        Assert.False(source.IsCancellationRequested);
        source.Return();
    }

    [Fact]
    public void Return_UnusedSource_ReusableWithCleanState()
    {
        var source = ForwarderCancellationSource.Rent(CancellationToken.None);
        source.SetActivityTimeout(TimeSpan.FromMinutes(5));
        source.Return();

        using var client = new CancellationTokenSource();
        var next = ForwarderCancellationSource.Rent(client.Token);

        Assert.False(next.IsCancellationRequested);
        Assert.False(next.CanceledByClient || next.CanceledByForwarder || next.TimedOut);
        client.Cancel();
        Assert.True(next.CanceledByClient);
        next.Return();
    }
}

public sealed class RequestIdGeneratorTests
{
    [Fact]
    public void Next_CompactLowercaseBase32AndUnique()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 10_000; i++)
        {
            var id = RequestIdGenerator.Next();
            Assert.Matches("^[0-9a-v]{20}$", id);
            Assert.True(seen.Add(id), id);
        }
    }

    [Fact]
    public void Next_SameProcessPrefix()
    {
        Assert.Equal(RequestIdGenerator.Next()[..7], RequestIdGenerator.Next()[..7]);
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("0af7651916cd43dd8448eb211c80319c", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("tab\there", false)]
    [InlineData("caf\u00e9", false)]
    public void IsAcceptable_VisibleAsciiOnly(string value, bool expected)
    {
        Assert.Equal(expected, RequestIdGenerator.IsAcceptable(value));
    }

    [Fact]
    public void IsAcceptable_TooLong_Rejected()
    {
        Assert.True(RequestIdGenerator.IsAcceptable(new string('a', RequestIdGenerator.MaxIncomingLength)));
        Assert.False(RequestIdGenerator.IsAcceptable(new string('a', RequestIdGenerator.MaxIncomingLength + 1)));
    }
}

public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("keep-alive", false)]
    [InlineData("Keep-Alive, close", false)]
    [InlineData("Upgrade", false)]
    [InlineData("keep-alive, X-Foo", true)]
    [InlineData(" ,x-foo", true)]
    public void HasCustomConnectionOptions_OnlyForNonStandardTokens(string? connection, bool expected)
    {
        Assert.Equal(expected, HeaderRules.HasCustomConnectionOptions(connection));
    }

    [Theory]
    [InlineData("keep-alive, X-Foo", "x-foo", true)]
    [InlineData("X-Foo ,X-Bar", "X-Bar", true)]
    [InlineData("X-Foobar", "X-Foo", false)]
    [InlineData(",,", "X-Foo", false)]
    public void IsListedInConnection_MatchesWholeTokensIgnoringCase(string connection, string name, bool expected)
    {
        Assert.Equal(expected, HeaderRules.IsListedInConnection(connection, name));
    }
}

public sealed class HttpForwarderRequestTests
{
    private static NodeModel Node(string address)
        => new("svc", "n1", new Uri(address), 1, null, true, [], UpstreamProtocol.Http1, new NodeState());

    [Theory]
    [InlineData("http://10.0.0.1:8080", "/orders/42", "?x=1", "http://10.0.0.1:8080/orders/42?x=1")]
    [InlineData("http://10.0.0.1:8080/base/", "/orders", "", "http://10.0.0.1:8080/base/orders")]
    [InlineData("http://10.0.0.1:8080", "", "?q=a%20b", "http://10.0.0.1:8080/?q=a%20b")]
    [InlineData("http://node:81", "/a b/\u00e9", "", "http://node:81/a%20b/%C3%A9")]
    public void BuildUri_PrefixPathAndQuery_Concatenated(string address, string path, string query, string expected)
    {
        var uri = HttpForwarder.BuildUri(Node(address), new PathString(path), new QueryString(query));

        Assert.Equal(expected, uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("POST", null, null, false)]
    [InlineData("POST", 0L, null, false)]
    [InlineData("POST", 5L, null, true)]
    [InlineData("PUT", null, "chunked", true)]
    [InlineData("GET", null, null, false)]
    public void HasRequestBody_WithoutDetectionFeature_UsesFraming(string method, long? contentLength, string? transferEncoding, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.ContentLength = contentLength;
        if (transferEncoding is not null)
        {
            context.Request.Headers.TransferEncoding = transferEncoding;
        }

        Assert.Equal(expected, HttpForwarder.HasRequestBody(context.Request));
    }
}
