using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// The node's own lossless stop. On SIGTERM (or SIGINT, SIGQUIT: the host stops on all three) <c>/readyz</c> answers
/// 503 at once and every response closes its connection, while the node keeps serving for
/// <see cref="GatewayOptions.DrainDelay"/> so a balancer that checks <c>/readyz</c> takes it out of rotation without a
/// request being refused; then Kestrel stops accepting and in-flight requests get up to
/// <see cref="GatewayOptions.ShutdownTimeout"/> to finish before the process exits.
/// </summary>
/// <remarks>
/// The delay runs in <see cref="StoppingAsync"/>, which the host awaits before it stops any hosted service (Kestrel
/// included); an <c>ApplicationStopping</c> callback cannot be awaited. The host's own timeout
/// (<see cref="HostOptions.ShutdownTimeout"/>) counts from the same moment, so it is raised to cover the delay and the
/// in-flight bound together (<see cref="GatewayServiceCollectionExtensions"/>). A second signal during the delay ends
/// the delay at once, for a person at a terminal who does not want to wait; in-flight requests still finish.
/// </remarks>
internal sealed partial class GatewayDrain(IOptions<GatewayOptions> options, TimeProvider time, ILogger<GatewayDrain> logger)
    : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _skipDelay = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private long _startedAt;
    private int _signalCount;
    private volatile bool _draining;

    /// <summary>True from the stop signal on: readiness fails and responses close their connections.</summary>
    public bool Draining => _draining;

    /// <summary>
    /// Asks Kestrel to close the request's connection once the response is sent: <c>Connection: close</c> on HTTP/1.1,
    /// GOAWAY on HTTP/2. A client with a keep-alive connection then opens its next one through the balancer, which
    /// sends it to another gateway. Called only while draining, so the hot path pays one volatile read.
    /// </summary>
    public static void CloseAfterResponse(HttpContext context) =>
        context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The host's console lifetime turns these signals into a stop; a second one is only seen by a handler of our own.
        if (!OperatingSystem.IsWindows() && !OperatingSystem.IsBrowser() && !OperatingSystem.IsIOS() && !OperatingSystem.IsTvOS()
            && !OperatingSystem.IsAndroid())
        {
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));

            // Left alone, SIGHUP ends the process at once (exit 129) with no drain. Daemons take it as "reload", but the
            // node reloads its config by itself (file watch, admin push), so it is ignored, with a line saying so.
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                LogHangupIgnored(logger);
            }));
        }

        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _startedAt = time.GetTimestamp();
        _draining = true;
        var o = options.Value;
        LogDrainStarted(logger, o.DrainDelay.TotalSeconds, o.ShutdownTimeout.TotalSeconds);
        if (o.DrainDelay <= TimeSpan.Zero)
        {
            return;
        }

        using var delay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _skipDelay.Token);
        try
        {
            await Task.Delay(o.DrainDelay, time, delay.Token);
        }
        catch (OperationCanceledException)
        {
            // A second signal, or the host's timeout: either way the node goes on to stop accepting.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        // Kestrel has stopped by now: every in-flight request finished, or was cut off when the bound ran out.
        var elapsed = _startedAt == 0 ? TimeSpan.Zero : time.GetElapsedTime(_startedAt);
        LogStopped(logger, elapsed.TotalSeconds, cancellationToken.IsCancellationRequested);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        foreach (var signal in _signals)
        {
            signal.Dispose();
        }

        _skipDelay.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The first signal is the console lifetime's to handle (it starts the stop); a later one skips the rest of the
        // delay. Signals are counted rather than compared with Draining, which the stop sets on another thread.
        if (Interlocked.Increment(ref _signalCount) == 2)
        {
            context.Cancel = true;
            LogDelaySkipped(logger, context.Signal);
            _skipDelay.Cancel();
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Draining: /readyz answers 503 and responses close their connections; serving for {DelaySeconds:0.###} s more, then in-flight requests get up to {TimeoutSeconds:0.###} s")]
    private static partial void LogDrainStarted(ILogger logger, double delaySeconds, double timeoutSeconds);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information,
        Message = "Gateway stopped {ElapsedSeconds:0.###} s after the stop signal (in-flight bound exceeded: {TimedOut})")]
    private static partial void LogStopped(ILogger logger, double elapsedSeconds, bool timedOut);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information,
        Message = "SIGHUP ignored: the config reloads by itself (file watch, admin push); stop the node with SIGTERM")]
    private static partial void LogHangupIgnored(ILogger logger);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "{Signal} during the drain delay: no longer accepting; in-flight requests still finish")]
    private static partial void LogDelaySkipped(ILogger logger, PosixSignal signal);
}

/// <summary>Refuses negative drain settings at start, naming the key.</summary>
internal sealed class GatewayDrainOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        List<string>? errors = null;
        if (options.DrainDelay < TimeSpan.Zero)
        {
            (errors ??= []).Add($"{GatewayOptions.Section}:{nameof(GatewayOptions.DrainDelay)} must not be negative (was {options.DrainDelay}).");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            (errors ??= []).Add($"{GatewayOptions.Section}:{nameof(GatewayOptions.ShutdownTimeout)} must not be negative (was {options.ShutdownTimeout}).");
        }

        Debug.Assert(errors is null || errors.Count > 0);
        return errors is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
