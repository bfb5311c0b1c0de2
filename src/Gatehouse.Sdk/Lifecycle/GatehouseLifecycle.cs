using Gatehouse.Sdk.Discovery;
using Gatehouse.Sdk.Registry;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sdk.Lifecycle;

/// <summary>
/// The node's life in the registry: register once Kestrel listens (the real port is known then), heartbeat, and on
/// shutdown deregister first, then drain in-flight requests, then let the host stop the server.
/// </summary>
/// <remarks>
/// Shutdown runs in <see cref="StoppingAsync"/>, which the host awaits before it stops any hosted service (Kestrel
/// included) and after or alongside <c>ApplicationStopping</c>; a plain <c>ApplicationStopping</c> callback could not
/// be awaited. The registry being unreachable never stops the service: registration and heartbeats retry with
/// exponential backoff and jitter, logging once per state change.
/// </remarks>
internal sealed partial class GatehouseLifecycle(IOptions<GatehouseOptions> options, IServiceProvider services, IServer server,
    IHostApplicationLifetime lifetime, InFlightRequests inFlight, TimeProvider time, ILogger<GatehouseLifecycle> logger)
    : IHostedLifecycleService, IDisposable, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private IRegistryClient? _client;
    private ServiceInstance? _instance;
    private Task _loop = Task.CompletedTask;
    private CancellationTokenRegistration _started;
    private volatile bool _registered;

    /// <summary>The instance as announced (null until the server has started).</summary>
    public ServiceInstance? Instance => _instance;

    /// <summary>The registry client (null before start).</summary>
    internal IRegistryClient? RegistryClient => _client;

    /// <summary>True after a successful registration, until a heartbeat says the lease is gone.</summary>
    public bool Registered => _registered;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // Fail at start, not later in a background loop: a misconfigured registry kind is a deployment error.
        _client = CreateClient(options.Value);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = lifetime.ApplicationStarted.Register(() => _loop = Task.Run(() => RunAsync(_stopping.Token)));
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        var instance = _instance;
        if (instance is null || _client is null)
        {
            return;
        }

        // :: Step 1: deregister, so the admin publishes the node's removal and gateways stop sending to it.
        try
        {
            using var deregisterTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deregisterTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            await _client.DeregisterAsync(instance, deregisterTimeout.Token);
            _registered = false;
            LogDeregistered(logger, instance.NodeId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Still drain: the lease expires without heartbeats, which takes the node out of rotation a little later.
            LogDeregisterFailed(logger, instance.NodeId, ex);
        }

        // :: Step 2: give gateways time to apply the removal (requests still arriving meanwhile are served), then wait
        // for in-flight requests, up to the drain period.
        var o = options.Value;
        try
        {
            await Task.Delay(o.PropagationDelay, time, cancellationToken);
            var drained = await inFlight.WaitForZeroAsync(o.DrainPeriod, time, cancellationToken);
            if (!drained)
            {
                LogDrainTimedOut(logger, inFlight.Count, o.DrainPeriod);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
        (_client as IDisposable)?.Dispose();
    }

    /// <summary>The host disposes asynchronously: a ZooKeeper client closes its session without blocking a thread.</summary>
    public async ValueTask DisposeAsync()
    {
        _started.Dispose();
        _stopping.Dispose();
        if (_client is IAsyncDisposable asyncClient)
        {
            await asyncClient.DisposeAsync();
        }
        else
        {
            (_client as IDisposable)?.Dispose();
        }
    }

    private IRegistryClient CreateClient(GatehouseOptions o)
    {
        var provider = services.GetServices<IRegistryClientProvider>().LastOrDefault(p => string.Equals(p.Kind, o.Registry, StringComparison.OrdinalIgnoreCase));
        if (provider is not null)
        {
            return provider.Create(o);
        }

        throw new InvalidOperationException($"Gatehouse:Registry '{o.Registry}' is not a known registry kind; use 'http' or 'zookeeper'.");
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            _instance = BuildInstance(o);
        }
        catch (Exception ex)
        {
            // Nothing to announce (e.g. no listening address): say so loudly; the service itself keeps running.
            LogNoInstance(logger, ex);
            return;
        }

        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                if (!_registered)
                {
                    await _client!.RegisterAsync(_instance, ct);
                    _registered = true;
                    LogRegistered(logger, _instance.NodeId, _instance.Group, _instance.Service, _instance.Apis.Count, o.Address);
                }
                else if (await _client!.HeartbeatAsync(_instance, ct) == HeartbeatStatus.NotRegistered)
                {
                    _registered = false;
                    LogLeaseLost(logger, _instance.NodeId);
                    continue;
                }

                if (failures > 0)
                {
                    LogReachable(logger, o.Address, failures);
                    failures = 0;
                }

                delay = o.HeartbeatInterval;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (failures++ == 0)
                {
                    LogUnreachable(logger, o.Address, ex.Message);
                }

                delay = Backoff(failures, o);
            }

            try
            {
                await Task.Delay(delay, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half the capped delay fixed, half random, so restarts spread out.</summary>
    internal static TimeSpan Backoff(int failures, GatehouseOptions o)
    {
        var exponent = Math.Min(failures - 1, 20);
        var capped = Math.Min(o.RetryMaxDelay.TotalMilliseconds, o.RetryMinDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    private ServiceInstance BuildInstance(GatehouseOptions o)
    {
        var (scheme, host, port) = ListeningAddress();
        var apis = o.ReportApis && services.GetService<EndpointDataSource>() is { } endpoints ? EndpointScanner.Scan(endpoints, o.HealthPath) : [];
        return new ServiceInstance
        {
            Group = o.Group,
            Service = o.Service,
            Host = o.AdvertisedHost ?? host,
            Port = o.AdvertisedPort > 0 ? o.AdvertisedPort : port,
            Scheme = scheme,
            Weight = o.Weight,
            Loc = o.Loc,
            Gray = o.Gray.ToArray(),
            Version = o.Version,
            Metadata = new Dictionary<string, string>(o.Metadata),
            HealthPath = o.HealthPath,
            Apis = apis,
        };
    }

    /// <summary>The first address Kestrel bound, with a wildcard host replaced by the machine name.</summary>
    private (string Scheme, string Host, int Port) ListeningAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses.OrderBy(a => a.StartsWith("https", StringComparison.OrdinalIgnoreCase) ? 1 : 0))
        {
            var normalized = address.Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal);
            if (Uri.TryCreate(normalized, UriKind.Absolute, out var uri))
            {
                var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? System.Net.Dns.GetHostName() : uri.Host.Trim('[', ']');
                return (uri.Scheme, host, uri.Port);
            }
        }

        throw new InvalidOperationException("Gatehouse: the server reports no listening address; set Gatehouse:AdvertisedHost and AdvertisedPort.");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Gatehouse: registered node {NodeId} of {Group}/{Service} with {ApiCount} API(s) at {Address}")]
    private static partial void LogRegistered(ILogger logger, string nodeId, string group, string service, int apiCount, string address);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Gatehouse: registry {Address} unreachable or refusing ({Reason}); the service keeps running and retries with backoff")]
    private static partial void LogUnreachable(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Gatehouse: registry {Address} reachable again after {Failures} failed attempt(s)")]
    private static partial void LogReachable(ILogger logger, string address, int failures);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Gatehouse: the registry has no lease for node {NodeId} (expired or removed); registering again")]
    private static partial void LogLeaseLost(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Gatehouse: deregistered node {NodeId}; draining in-flight requests")]
    private static partial void LogDeregistered(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Gatehouse: deregistering node {NodeId} failed; draining anyway (its lease will expire)")]
    private static partial void LogDeregisterFailed(ILogger logger, string nodeId, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "Gatehouse: cannot describe this node to the registry; it will not register")]
    private static partial void LogNoInstance(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Gatehouse: {InFlight} request(s) still in flight after the drain period {DrainPeriod}; stopping anyway")]
    private static partial void LogDrainTimedOut(ILogger logger, int inFlight, TimeSpan drainPeriod);
}
