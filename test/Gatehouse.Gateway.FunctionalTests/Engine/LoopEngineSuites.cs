using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.FunctionalTests.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.FunctionalTests.Pipeline;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

// The forwarder, framing and smuggling suites once more, on the loop engine: each class below inherits every test of
// its base (which runs on the platform engine) and selects the loop engine for the gateways those tests start.

public sealed class HttpForwarderBodyTestsOnLoop : HttpForwarderBodyTests
{
    public HttpForwarderBodyTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

public sealed class HttpForwarderFailureTestsOnLoop : HttpForwarderFailureTests
{
    public HttpForwarderFailureTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

public sealed class HttpForwarderHeaderTestsOnLoop : HttpForwarderHeaderTests
{
    public HttpForwarderHeaderTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

public sealed class HttpForwarderUpgradeTestsOnLoop : HttpForwarderUpgradeTests
{
    public HttpForwarderUpgradeTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

[Collection(nameof(StreamingCollection))]
public sealed class HttpForwarderStreamingTestsOnLoop : HttpForwarderStreamingTests
{
    public HttpForwarderStreamingTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

public sealed class HttpFramingEdgeTestsOnLoop : HttpFramingEdgeTests
{
    public HttpFramingEdgeTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}

public sealed class HardeningTestsOnLoop : HardeningTests
{
    public HardeningTestsOnLoop() => TestEngine.Select(GatewayEngines.Loop);
}
