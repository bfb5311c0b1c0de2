using System.Net;
using Gatehouse.Core.Logging;
using Gatehouse.Gateway.Http;
using Gatehouse.Gateway.Observability;
using Gatehouse.Gateway.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Builds a gateway node: Kestrel on the traffic and control ports, one terminal request delegate.</summary>
public static class GatewayApplication
{
    /// <summary>Command-line switches accepted in addition to <c>--Gatehouse:Gateway:*</c> keys.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--config"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.ConfigPath)}",
        ["--plugins"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.PluginsPath)}",
        ["--plugin-cache"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.PluginCachePath)}",
        ["--port"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.Port)}",
        ["--control-port"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.ControlPort)}",
        ["--h2c-port"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.H2cPort)}",
        ["--listen"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.ListenAddress)}",
        ["--loc"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.Loc)}",
        ["--group"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.Group)}",
        ["--node-id"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.NodeId)}",
        ["--admin"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.AdminUrl)}",
        ["--redis"] = $"{GatewayOptions.Section}:{nameof(GatewayOptions.Redis)}:{nameof(Redis.RedisOptions.Address)}",
        ["--tls-port"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.Port)}",
        ["--tls-cert"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.CertificatePemPath)}",
        ["--tls-key"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.KeyPemPath)}",
        ["--tls-pfx"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.CertificatePath)}",
        ["--tls-chain-check"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.ChainCheck)}",
        ["--tls-client-certs"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.ClientCertificates)}",
        ["--tls-client-ca"] = $"{Tls.GatewayTlsOptions.Section}:{nameof(Tls.GatewayTlsOptions.ClientCaPath)}",
        [GatehouseLogging.FormatSwitch] = GatehouseLogging.FormatKey,
    };

    /// <summary>
    /// Runs a node until it is stopped. Settings the node refuses while it is built (a TLS certificate that fails
    /// to load or its chain check, invalid gateway options) and a port it cannot bind end the process with exit
    /// code 1 and the reason on stderr in one line, where an operator or orchestrator reads it, instead of an
    /// unhandled-exception dump.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        const string NotStarted = "gatehouse gateway: not started: ";
        WebApplication app;
        IReadOnlyList<ListenPort> ports;
        try
        {
            app = Create(args);
            ports = ListenPorts(app.Services);
        }
        catch (Exception e) when (e is Tls.TlsConfigurationException or OptionsValidationException)
        {
            await Console.Error.WriteLineAsync(NotStarted + e.Message);
            return 1;
        }

        await using (app)
        {
            if (ListenPortCheck.FindProblem(ports) is { } busy)
            {
                await Console.Error.WriteLineAsync(NotStarted + busy);
                return 1;
            }

            try
            {
                await app.RunAsync();
            }
            catch (IOException e) when (ListenPortCheck.IsAddressInUse(e))
            {
                // Taken between the check and Kestrel's bind: Kestrel's message names the address.
                await Console.Error.WriteLineAsync(NotStarted + e.Message);
                return 1;
            }
        }

        return 0;
    }

    /// <summary>The ports a built node will listen on, each with the command-line switch that moves it.</summary>
    public static IReadOnlyList<ListenPort> ListenPorts(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var tls = options.Tls;
        var address = IPAddress.Parse(options.ListenAddress);
        var ports = new List<ListenPort>(3);
        if (!tls.DisablePlain)
        {
            ports.Add(new ListenPort(address, options.Port, "traffic", "--port"));
        }

        ports.Add(new ListenPort(address, options.ControlPort, "control", "--control-port"));
        if (options.H2cPort is { } h2c)
        {
            ports.Add(new ListenPort(address, h2c, "h2c traffic", "--h2c-port"));
        }
        if (tls.Enabled)
        {
            ports.Add(new ListenPort(address, tls.Port, "TLS traffic", "--tls-port"));
        }

        return ports;
    }

    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddCommandLine(args, (IDictionary<string, string>)SwitchMappings);
        builder.Logging.AddGatehouseConsole(builder.Configuration);
        KestrelClientErrors.Register(builder.Logging);

        // ASP.NET Core's per-request Information logs (and the Activity they make it start) cost more than
        // the proxying itself; the gateway reports requests through its own access log and metrics instead.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // Hosting starts an Activity and a log scope per request whenever its category is enabled at any
        // level (about 3% of CPU under load in a profile); the gateway starts its own spans where it needs them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.AddGatehouseGateway(builder.Configuration);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        builder.WebHost.UseKestrel(kestrel => ConfigureKestrel(kestrel, options, kestrel.ApplicationServices.GetRequiredService<Tls.ServerTls>()));
        var loopUnsupported = UseEngine(builder.Services, options);

        var app = builder.Build();
        if (loopUnsupported)
        {
            Engine.EngineLog.Unsupported(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gatehouse.Gateway.Engine"));
        }

        var resolved = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var handler = app.Services.GetRequiredService<GatewayRequestHandler>();
        var guard = app.Services.GetRequiredService<RequestGuard>();
        var control = app.Services.GetRequiredService<ControlEndpoints>();
        var drain = app.Services.GetRequiredService<GatewayDrain>();
        var controlPort = resolved.ControlPort;
        var proxy = Grpc.GrpcWebBridge.Wrap(app, handler.InvokeAsync, resolved.GrpcWeb);

        // One terminal delegate, no middleware: the control port is told apart by the local port, which costs
        // one comparison instead of a routing table on every proxied request. gRPC-Web calls alone take a branch
        // (GrpcWebBridge), after the guard.
        app.Run(context =>
        {
            if (context.Connection.LocalPort == controlPort)
            {
                return control.InvokeAsync(context);
            }

            // While draining, every response closes its connection so keep-alive clients reconnect through the balancer.
            if (drain.Draining)
            {
                GatewayDrain.CloseAfterResponse(context);
            }

            return guard.InvokeAsync(context, proxy);
        });
        return app;
    }

    /// <summary>
    /// Puts the plaintext traffic port on the configured engine (registered after UseKestrel, so Kestrel asks it
    /// first). Returns true when <c>loop</c> was asked for where it cannot run.
    /// </summary>
    private static bool UseEngine(IServiceCollection services, GatewayOptions options)
    {
        if (string.Equals(options.Engine, Engine.GatewayEngines.Platform, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!string.Equals(options.Engine, Engine.GatewayEngines.Loop, StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsValidationException(GatewayOptions.Section, typeof(GatewayOptions),
                [$"{GatewayOptions.Section}:{nameof(GatewayOptions.Engine)} must be '{Engine.GatewayEngines.Platform}' or '{Engine.GatewayEngines.Loop}', not '{options.Engine}'."]);
        }

        var port = options.Port;
        var disablePlain = options.Tls.DisablePlain;
        return !Engine.LoopEngine.TryUse(services, options.LoopEngine,
            endpoint => !disablePlain && endpoint is IPEndPoint ip && ip.Port == port);
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, GatewayOptions options, Tls.ServerTls tls)
    {
        var address = IPAddress.Parse(options.ListenAddress);
        kestrel.AddServerHeader = false;

        // A Content-Length with a sign (+5) is refused by Kestrel instead of being read as 5 (see ContentLengthDigits).
        kestrel.RequestHeaderEncodingSelector = ContentLengthDigits.Selector;
        if (!tls.Options.DisablePlain)
        {
            kestrel.Listen(address, options.Port, o => o.Protocols = HttpProtocols.Http1);
        }

        kestrel.Listen(address, options.ControlPort, o => o.Protocols = HttpProtocols.Http1);
        if (options.H2cPort is { } h2c)
        {
            // HTTP/2 only: Kestrel does not tell an HTTP/2 preface from an HTTP/1.1 request line on a cleartext
            // endpoint (Http1AndHttp2 without TLS serves HTTP/1.1), so gRPC without TLS gets a port of its own.
            kestrel.Listen(address, h2c, o => o.Protocols = HttpProtocols.Http2);
        }

        tls.Listen(kestrel, address);

        // Bodies stream through, so the gateway does not cap them unless configured to.
        kestrel.Limits.MaxRequestBodySize = options.Limits.MaxRequestBodySize;

        // Kestrel's header limits sit above the gateway's own so oversized requests get problem JSON from the
        // gateway; Kestrel still rejects anything past twice the configured size on its own.
        kestrel.Limits.MaxRequestHeadersTotalSize = Math.Max(options.Limits.MaxRequestHeadersTotalSize * 2, 64 * 1024);
        kestrel.Limits.MaxRequestHeaderCount = Math.Max(options.Limits.MaxRequestHeaderCount * 2, 100);
        kestrel.Limits.MaxRequestLineSize = Math.Max(Math.Max(kestrel.Limits.MaxRequestLineSize, 16 * 1024), options.Limits.MaxUrlLength * 2);

        // Slow clients (slowloris): a connection has this long for its request headers, idle keep-alive connections
        // are closed, and an upload slower than the minimum rate (after a grace period) is cut off.
        kestrel.Limits.RequestHeadersTimeout = options.Limits.RequestHeadersTimeout;
        kestrel.Limits.KeepAliveTimeout = options.Limits.KeepAliveTimeout;
        kestrel.Limits.MinRequestBodyDataRate = options.Limits.MinRequestBodyBytesPerSecond > 0
            ? new MinDataRate(options.Limits.MinRequestBodyBytesPerSecond, options.Limits.MinRequestBodyGracePeriod)
            : null;
        kestrel.Limits.MaxConcurrentConnections = options.Limits.MaxConcurrentConnections;
    }
}
