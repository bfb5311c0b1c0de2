using System.Net;
using System.Threading.Channels;
using Gatehouse.Core.Config;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// A minimal gateway on real Kestrel: every request goes through <see cref="HttpForwarder"/> to one fixed node,
/// and each <see cref="ForwardResult"/> is published for the test to inspect. Errors are answered with the
/// status the request pipeline uses and the error name as body, when the response has not started.
/// </summary>
internal sealed class ForwarderTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ForwardResult> _results = Channel.CreateUnbounded<ForwardResult>();

    private ForwarderTestHost(WebApplication app)
    {
        _app = app;
    }

    /// <summary><c>http://127.0.0.1:port</c> of the gateway.</summary>
    public string BaseAddress { get; private set; } = "";

    /// <summary>Logs written by the forwarder.</summary>
    public CapturingLogger<HttpForwarder> Logger { get; } = new();

    /// <summary>Owns the upstream connection pools of this host (per loop too, when the loop engine carries node connections).</summary>
    public UpstreamClientFactory ClientFactory { get; private set; } = null!;

    /// <summary>Default timeouts for tests: generous, so only tests that shorten them see timeouts.</summary>
    public static ForwardOptions DefaultOptions { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));

    /// <summary>A node pointing at <paramref name="address"/>.</summary>
    public static NodeModel Node(string address, UpstreamProtocol protocol = UpstreamProtocol.Http1)
        => new("svc", "node-1", new Uri(address), 1, null, true, [], protocol, new NodeState());

    /// <summary>Starts a gateway forwarding to <paramref name="node"/>.</summary>
    /// <param name="node">The fixed node.</param>
    /// <param name="options">Forwarding timeouts; <see cref="DefaultOptions"/> when null.</param>
    /// <param name="transport">Upstream transport settings; defaults when null.</param>
    /// <param name="beforeForward">Runs before forwarding, e.g. to set a per-request body size limit.</param>
    /// <param name="stripPrefix">Removed from the request path before forwarding, as the pipeline's prefix mapping does.</param>
    /// <param name="protocols">Protocols of the gateway's own endpoint (Http2 means h2c with prior knowledge).</param>
    /// <param name="retryNode">
    /// Tried after <see cref="ForwarderError.ConnectFailed"/> with the request body not started, as the pipeline's
    /// retry does; both results are published.
    /// </param>
    public static async Task<ForwarderTestHost> StartAsync(NodeModel node, ForwardOptions? options = null,
        UpstreamTransportSettings? transport = null, Action<HttpContext>? beforeForward = null, string? stripPrefix = null,
        HttpProtocols protocols = HttpProtocols.Http1, NodeModel? retryNode = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            // The forwarder streams bodies of any size; limits are a policy decision of the pipeline.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols);
        });
        TestEngine.Apply(builder.Services);

        var app = builder.Build();
        var host = new ForwarderTestHost(app);
        host.ClientFactory = new UpstreamClientFactory(null, app.Services.GetService<Gatehouse.Gateway.Engine.Upstream.LoopUpstream>());
        var forwarder = new HttpForwarder(host.Logger);
        var invoker = host.ClientFactory.GetInvoker(transport ?? UpstreamTransportSettings.Default);
        var forwardOptions = options ?? DefaultOptions;

        app.Run(async context =>
        {
            beforeForward?.Invoke(context);
            var path = context.Request.Path;
            if (stripPrefix is not null && path.StartsWithSegments(stripPrefix, out var remaining))
            {
                path = remaining;
            }

            var result = await forwarder.ForwardAsync(context, node, path, forwardOptions, invoker);
            if (retryNode is not null && result is { Error: ForwarderError.ConnectFailed, RequestBodyStarted: false })
            {
                host._results.Writer.TryWrite(result);
                result = await forwarder.ForwardAsync(context, retryNode, path, forwardOptions, invoker);
            }

            host._results.Writer.TryWrite(result);
            if (result.Error != ForwarderError.None && !context.Response.HasStarted && !HttpForwarder.IsClientSide(result.Error))
            {
                context.Response.StatusCode = StatusFor(result.Error);
                await context.Response.WriteAsync(result.Error.ToString());
            }
        });

        await app.StartAsync();
        TestEngine.HostStarted();
        host.BaseAddress = $"http://127.0.0.1:{TestBackend.GetPort(app)}";
        return host;
    }

    /// <summary>The mapping the request pipeline applies (the error codes of docs/architecture.md).</summary>
    public static int StatusFor(ForwarderError error) => error switch
    {
        ForwarderError.ConnectTimeout or ForwarderError.ResponseHeadersTimeout or ForwarderError.IdleTimeout => 504,
        ForwarderError.RequestBodyMalformed or ForwarderError.RequestNotSupported => 400,
        ForwarderError.RequestBodyTooLarge => 413,
        _ => 502,
    };

    /// <summary>A client that talks to the gateway directly, with nothing that would alter the exchange.</summary>
    /// <param name="timeout">Overall request timeout.</param>
    /// <param name="http2">True to speak h2c with prior knowledge to a gateway started with HttpProtocols.Http2.</param>
    public HttpClient CreateClient(TimeSpan? timeout = null, bool http2 = false) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ActivityHeadersPropagator = null,
    })
    {
        BaseAddress = new Uri(BaseAddress),
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
        DefaultVersionPolicy = http2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
    };

    /// <summary>The result of the next request the gateway finished forwarding.</summary>
    public async Task<ForwardResult> NextResultAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        return await _results.Reader.ReadAsync(cts.Token);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        var carried = TestEngine.IsLoop ? Gatehouse.Gateway.Engine.LoopEngine.AcceptedConnections(_app.Services) : 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        ClientFactory.Dispose();

        // A suite selected for the loop engine must really have run on it (not silently on the platform's).
        Assert.True(!TestEngine.IsLoop || carried != 0, "the loop engine was selected but carried no connection");
    }
}
