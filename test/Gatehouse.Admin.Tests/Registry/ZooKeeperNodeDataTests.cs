using System.Text;
using Gatehouse.Admin.Registry;

namespace Gatehouse.Admin.Tests.Registry;

/// <summary>How the ZooKeeper mirror reads a node znode's data (the same rules as an HTTP registration body).</summary>
public sealed class ZooKeeperNodeDataTests
{
    private static string? Parse(string json, string name = "10.0.0.1:8080") =>
        ZooKeeperNodeData.Parse("shop", "orders", name, Encoding.UTF8.GetBytes(json), out _);

    [Fact]
    public void ValidNode_GroupAndServiceFromThePath()
    {
        var problem = ZooKeeperNodeData.Parse("shop", "orders", "10.0.0.1:8080", Encoding.UTF8.GetBytes(
            """{"scheme":"http","host":"10.0.0.1","port":8080,"weight":70,"loc":"dc1","gray":["canary"],"version":"1.2","metadata":{"a":"b"},"healthPath":"/healthz","apis":[{"methods":["GET"],"path":"/orders/{id}","matchKind":"template"}]}"""),
            out var request);
        Assert.Null(problem);
        Assert.Equal(("shop", "orders", 70, "dc1"), (request!.Group, request.Service, request.Weight, request.Loc));
        Assert.Equal("/orders/{id}", Assert.Single(request.Apis!).Path);
    }

    [Theory]
    [InlineData("not json", "not a node's JSON")]
    [InlineData("null", "JSON null")]
    [InlineData("""{"host":"10.0.0.1","port":8080,"extra":1}""", "not a node's JSON")]
    [InlineData("""{"host":"10.0.0.1","port":8080,"weight":20000}""", "weight")]
    [InlineData("""{"host":"10.0.0.1","port":8080,"apis":[{"path":"no-slash"}]}""", "apis[0].path")]
    [InlineData("""{"host":"10.0.0.1","port":9090}""", "'10.0.0.1:9090'")]
    [InlineData("""{"group":"other","host":"10.0.0.1","port":8080}""", "the path shop/orders")]
    public void InvalidData_SaysWhatIsWrong(string json, string expected) =>
        Assert.Contains(expected, Parse(json), StringComparison.Ordinal);

    [Fact]
    public void Ipv6Node_NamedWithBrackets()
    {
        Assert.Null(Parse("""{"host":"::1","port":8080}""", "[::1]:8080"));
        Assert.NotNull(Parse("""{"host":"::1","port":8080}""", "::1:8080"));
    }
}
