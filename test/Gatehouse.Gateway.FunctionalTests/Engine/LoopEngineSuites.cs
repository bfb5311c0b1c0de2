using Gatehouse.Gateway.Engine;
using Gatehouse.Gateway.FunctionalTests.Forwarding;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using Gatehouse.Gateway.FunctionalTests.Pipeline;

namespace Gatehouse.Gateway.FunctionalTests.Engine;

// The forwarder, framing and smuggling suites once more, on the loop engine: each class below inherits every test of
// its base (which runs on the platform engine) and selects the loop engine for the gateways those tests start. The
// selection fails a test that started no gateway under it, so a selection that did not reach the hosts cannot pass
// silently on the platform engine.

public sealed class HttpForwarderBodyTestsOnLoop : HttpForwarderBodyTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

public sealed class HttpForwarderFailureTestsOnLoop : HttpForwarderFailureTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

public sealed class HttpForwarderHeaderTestsOnLoop : HttpForwarderHeaderTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

public sealed class HttpForwarderUpgradeTestsOnLoop : HttpForwarderUpgradeTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

[Collection(nameof(StreamingCollection))]
public sealed class HttpForwarderStreamingTestsOnLoop : HttpForwarderStreamingTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

public sealed class HttpFramingEdgeTestsOnLoop : HttpFramingEdgeTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}

public sealed class HardeningTestsOnLoop : HardeningTests, IDisposable
{
    private readonly TestEngine.Selection _selection = TestEngine.Select(GatewayEngines.Loop);

    public void Dispose() => Assert.True(_selection.HostsStarted > 0, "no gateway started under the loop engine selection");
}
