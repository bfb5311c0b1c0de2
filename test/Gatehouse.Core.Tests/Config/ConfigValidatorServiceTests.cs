using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class ConfigValidatorServiceTests
{
    [Fact]
    public void Validate_ValidConfig_ReturnsNoErrors()
    {
        Assert.Empty(ConfigValidator.Validate(ConfigFixtures.Valid(), "test.yaml"));
    }

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>, string, string> Invalid => new()
    {
        { "name missing", c => c.Service(0, s => s with { Name = "" }), "services[0].name", "service name is required" },
        { "name with space", c => c.Service(0, s => s with { Name = "ord ers" }), "services[ord ers].name", "may contain only letters, digits, '.', '_' and '-'" },
        { "name too long", c => c.Service(0, s => s with { Name = new string('a', 129) }), $"services[{new string('a', 129)}].name", "129 characters long; the limit is 128" },
        { "name repeated in other case", c => c.Service(1, s => s with { Name = "ORDERS" }), "services[ORDERS].name", "service name 'ORDERS' is used more than once (first at services[0]" },
        { "service group invalid", c => c.Service(0, s => s with { Group = "a/b" }), "services[orders].group", "group 'a/b' may contain only" },

        { "address missing", c => c.Node(0, 0, n => n with { Address = "" }), "services[orders].nodes[orders-1].address", "address is required" },
        { "address not http", c => c.Node(0, 0, n => n with { Address = "ftp://127.0.0.1:21" }), "services[orders].nodes[orders-1].address", "must be an absolute http://, https://, dubbo:// or tars:// URI" },
        { "address relative", c => c.Node(0, 0, n => n with { Address = "127.0.0.1:5101" }), "services[orders].nodes[orders-1].address", "must be an absolute http://, https://, dubbo:// or tars:// URI" },
        { "address with query", c => c.Node(0, 0, n => n with { Address = "http://127.0.0.1:5101/?a=1" }), "services[orders].nodes[orders-1].address", "must not have a query or fragment" },
        { "address with fragment", c => c.Node(0, 0, n => n with { Address = "http://127.0.0.1:5101/#top" }), "services[orders].nodes[orders-1].address", "must not have a query or fragment" },
        { "address with user info", c => c.Node(0, 0, n => n with { Address = "http://bob:pw@127.0.0.1:5101" }), "services[orders].nodes[orders-1].address", "must not contain a user name or password" },
        { "address with space", c => c.Node(0, 0, n => n with { Address = "http://127.0.0.1:5101/a b" }), "services[orders].nodes[orders-1].address", "must not contain spaces" },
        { "address port 0", c => c.Node(0, 0, n => n with { Address = "http://127.0.0.1:0" }), "services[orders].nodes[orders-1].address", "has port 0" },
        { "default ids collide", c => c.Node(0, 0, n => n with { Id = null, Address = "http://127.0.0.1:5102" }), "services[orders].nodes[127.0.0.1:5102].address", "node id '127.0.0.1:5102' is used by more than one node of this service (a node without an id is known by host:port" },
        { "explicit ids collide ignoring case", c => c.Node(0, 1, n => n with { Id = "ORDERS-1" }), "services[orders].nodes[ORDERS-1].id", "node id 'ORDERS-1' is used by more than one node" },
        { "explicit id equals a default id", c => c.Node(0, 0, n => n with { Id = "127.0.0.1:5102" }), "services[orders].nodes[127.0.0.1:5102].address", "node id '127.0.0.1:5102' is used by more than one node" },
        { "id blank", c => c.Node(0, 0, n => n with { Id = " " }), "services[orders].nodes[127.0.0.1:5101].id", "id must not be blank; leave it out" },
        { "id with space", c => c.Node(0, 0, n => n with { Id = "orders 1" }), "services[orders].nodes[orders 1].id", "must not contain spaces" },
        { "weight negative", c => c.Node(0, 0, n => n with { Weight = -1 }), "services[orders].nodes[orders-1].weight", "must be between 0 and 10000, got -1" },
        { "weight too high", c => c.Node(0, 0, n => n with { Weight = 10_001 }), "services[orders].nodes[orders-1].weight", "must be between 0 and 10000, got 10001" },
        { "gray tag blank", c => c.Node(0, 1, n => n with { Gray = ["canary", ""] }), "services[orders].nodes[127.0.0.1:5102].gray[1]", "gray tag must not be blank" },
        { "gray tag repeated", c => c.Node(0, 1, n => n with { Gray = ["canary", "canary"] }), "services[orders].nodes[127.0.0.1:5102].gray[1]", "gray tag 'canary' is listed twice" },
        { "loc blank", c => c.Node(0, 0, n => n with { Loc = "" }), "services[orders].nodes[orders-1].loc", "loc must not be blank" },
        { "health path relative", c => c.Node(0, 0, n => n with { HealthPath = "healthz" }), "services[orders].nodes[orders-1].healthPath", "must be a path starting with '/'" },
        { "metadata key blank", c => c.Node(0, 0, n => n with { Metadata = new Dictionary<string, string> { [" "] = "x" } }), "services[orders].nodes[orders-1].metadata", "metadata keys must not be blank" },
        { "metadata value null", c => c.Node(0, 0, n => n with { Metadata = new Dictionary<string, string> { ["owner"] = null! } }), "services[orders].nodes[orders-1].metadata[owner]", "value must not be null" },
        { "source undefined", c => c.Node(0, 0, n => n with { Source = (NodeSource)9 }), "services[orders].nodes[orders-1].source", "'9' is not a valid NodeSource value" },
        { "service entry null", c => c with { Services = [c.Services[0], null!] }, "services[1]", "entry is empty (null)" },
        { "node entry null", c => c.Service(0, s => s with { Nodes = [null!] }), "services[orders].nodes[0]", "entry is empty (null)" },
        { "api entry null", c => c.Service(0, s => s with { Apis = [null!] }), "services[orders].apis[0]", "entry is empty (null)" },
        { "protocol undefined", c => c.Node(0, 0, n => n with { Protocol = (UpstreamProtocol)9 }), "services[orders].nodes[orders-1].protocol", "'9' is not a valid UpstreamProtocol value" },

        { "api id missing", c => c.Api(0, 0, a => a with { Id = "" }), "services[orders].apis[0].id", "id is required" },
        { "api id repeated in other case", c => c.Api(0, 1, a => a with { Id = "GET-ORDER" }), "services[orders].apis[GET-ORDER].id", "api id 'GET-ORDER' is used more than once in this service" },
        { "api id with space", c => c.Api(0, 0, a => a with { Id = "get order" }), "services[orders].apis[get order].id", "must not contain spaces" },
        { "method not a token", c => c.Api(0, 0, a => a with { Methods = ["GE T"] }), "services[orders].apis[get-order].methods[0]", "'GE T' is not a valid HTTP method name" },
        { "method blank", c => c.Api(0, 0, a => a with { Methods = ["GET", ""] }), "services[orders].apis[get-order].methods[1]", "method must not be blank" },
        { "method repeated in other case", c => c.Api(0, 0, a => a with { Methods = ["GET", "get"] }), "services[orders].apis[get-order].methods[1]", "method 'get' is listed twice" },
        { "path relative", c => c.Api(0, 0, a => a with { Path = "orders" }), "services[orders].apis[get-order].path", "path 'orders' must start with '/'" },
        { "path missing", c => c.Api(0, 0, a => a with { Path = "" }), "services[orders].apis[get-order].path", "path is required" },
        { "parameter in exact path", c => c.Api(0, 0, a => a with { Match = MatchKind.Exact }), "services[orders].apis[get-order].path", "has a parameter segment '{id}' but match is Exact" },
        { "regex invalid", c => c.Api(0, 0, a => a with { Match = MatchKind.Regex, Path = "/orders/(" }), "services[orders].apis[get-order].path", "regex '/orders/(' is invalid" },
        { "match undefined", c => c.Api(0, 0, a => a with { Match = (MatchKind)42 }), "services[orders].apis[get-order].match", "'42' is not a valid MatchKind value" },
        { "same path, shared method", c => c.Api(0, 1, a => a with { Path = "/orders/{id}", Methods = ["post", "get"] }), "services[orders].apis[create-order].path", "conflicts with services[orders].apis[get-order]: both match template path '/orders/{id}' for GET" },
        { "same path, one any method", c => c.Api(0, 1, a => a with { Path = "/orders/{id}", Methods = [] }), "services[orders].apis[create-order].path", "conflicts with services[orders].apis[get-order]: both match template path '/orders/{id}' for GET" },
        { "same path, both any method", c => c.Api(0, 0, a => a with { Path = "/orders", Methods = [] }).Api(0, 1, a => a with { Methods = [] }), "services[orders].apis[create-order].path", "both match exact path '/orders' for any method" },
        { "same path, inferred kind", c => c.Api(0, 0, a => a with { Path = "/orders", Methods = ["POST"], Match = MatchKind.Exact }), "services[orders].apis[create-order].path", "conflicts with services[orders].apis[get-order]: both match exact path '/orders' for POST" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidServiceEntry_ReportsEntryAndMessage(string scenario, Func<GatewayConfig, GatewayConfig> change, string entry, string message)
    {
        var errors = ConfigValidator.Validate(change(ConfigFixtures.Valid()), "test.yaml");

        Assert.True(errors.Any(e => e.Entry == entry && e.Message.Contains(message, StringComparison.Ordinal)),
            $"{scenario}: expected '{entry}: ...{message}...', got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
    }

    public static TheoryData<string, Func<GatewayConfig, GatewayConfig>> StillValid => new()
    {
        { "weight 0", c => c.Node(0, 0, n => n with { Weight = 0 }) },
        { "weight 10000", c => c.Node(0, 0, n => n with { Weight = 10_000 }) },
        { "https without port", c => c.Node(0, 0, n => n with { Address = "https://orders.internal" }) },
        { "address with path prefix", c => c.Node(0, 0, n => n with { Address = "http://127.0.0.1:5101/base" }) },
        { "IPv6 address", c => c.Node(0, 0, n => n with { Id = null, Address = "http://[::1]:5101" }) },
        { "same path, different methods", c => c.Api(0, 1, a => a with { Path = "/orders/{id}", Methods = ["DELETE"] }) },
        { "same path, different kind", c => c.Api(0, 0, a => a with { Path = "/orders", Methods = ["POST"], Match = MatchKind.Prefix }) },
        { "no nodes and no APIs", c => c.Service(0, s => s with { Nodes = [], Apis = [] }) },
        { "method in lower case", c => c.Api(0, 0, a => a with { Methods = ["get"] }) },
    };

    [Theory]
    [MemberData(nameof(StillValid))]
    public void Validate_EdgeOfValidRange_ReturnsNoErrors(string scenario, Func<GatewayConfig, GatewayConfig> change)
    {
        var errors = ConfigValidator.Validate(change(ConfigFixtures.Valid()), null);

        Assert.True(errors.Count == 0, $"{scenario}: {string.Join("; ", errors)}");
    }

    [Theory]
    [InlineData("orders-1", "http://127.0.0.1:5101", "orders-1")]
    [InlineData(null, "http://127.0.0.1:5101", "127.0.0.1:5101")]
    [InlineData(" ", "http://Orders.Internal", "orders.internal:80")]
    [InlineData(null, "https://orders.internal/base", "orders.internal:443")]
    [InlineData(null, "http://[::1]:8080", "[::1]:8080")]
    [InlineData(null, "not a uri", null)]
    [InlineData(null, "ftp://h:21", null)]
    public void EffectiveId_IdOrAddress_IsIdElseHostPort(string? id, string address, string? expected)
    {
        Assert.Equal(expected, NodeIdentity.EffectiveId(new NodeConfig { Id = id, Address = address }));
    }
}
