using Gatehouse.Gateway.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Gateway.FunctionalTests.Infrastructure;

/// <summary>
/// The traffic engine the gateways of the current test run on. A suite runs over both engines by a subclass whose
/// constructor selects <see cref="GatewayEngines.Loop"/>: xunit constructs the class and runs the test method in
/// the same flow, so <see cref="GatewayTestHost"/> and <see cref="ForwarderTestHost"/> see the choice.
/// </summary>
internal static class TestEngine
{
    private static readonly AsyncLocal<Selection?> s_current = new();

    public static string Current => s_current.Value?.Engine ?? GatewayEngines.Platform;

    public static bool IsLoop => Current == GatewayEngines.Loop;

    /// <summary>Selects <paramref name="engine"/> for the rest of this flow; the selection counts the hosts started under it.</summary>
    public static Selection Select(string engine) => s_current.Value = new Selection(engine);

    /// <summary>Called by the test hosts when they start: proves the selection reached them.</summary>
    public static void HostStarted()
    {
        if (s_current.Value is { } selection)
        {
            Interlocked.Increment(ref selection.HostsStarted);
        }
    }

    /// <summary>An engine choice and how many test hosts started under it.</summary>
    public sealed class Selection(string engine)
    {
        public int HostsStarted;

        public string Engine { get; } = engine;
    }

    /// <summary>
    /// The gateway arguments that select the current engine, always explicit: the suites run on the platform engine
    /// unless a subclass selects the loop (the node's own default is the loop).
    /// </summary>
    public static string[] GatewayArgs() => ["--Gatehouse:Gateway:Engine", Current];

    /// <summary>Installs the loop engine for every endpoint of a test host, when selected.</summary>
    public static void Apply(IServiceCollection services)
    {
        if (IsLoop)
        {
            Assert.True(LoopEngine.TryUse(services, new LoopEngineOptions { Loops = 2 }, _ => true), "loop engine unsupported here");
        }
    }

    /// <summary>Fails unless the loop engine carried connections when it was selected (the suite did not fall back).</summary>
    public static void AssertCarried(IServiceProvider services)
    {
        if (IsLoop)
        {
            Assert.True(LoopEngine.AcceptedConnections(services) > 0, "the loop engine accepted no connection");
        }
    }
}
