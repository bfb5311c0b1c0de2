using Gatehouse.Core.Config;

namespace Gatehouse.Core.Tests.Config;

public class SampleConfigTests
{
    private static readonly string _samplePath = Path.Combine(ConfigFixtures.RepositoryRoot(), "samples", "gatehouse.yaml");

    [Fact]
    public void LoadFile_SampleConfig_LoadsWithoutErrors()
    {
        var config = ConfigLoader.LoadFile(_samplePath);

        Assert.Equal(["orders", "users"], config.Services.Select(s => s.Name));
        Assert.Empty(ConfigValidator.Validate(config, "gatehouse.yaml"));
    }

    [Fact]
    public void LoadFile_SampleConfig_CoversWhatItDocuments()
    {
        var config = ConfigLoader.LoadFile(_samplePath);
        var orders = config.Services.Single(s => s.Name == "orders");
        var users = config.Services.Single(s => s.Name == "users");

        // The sample is the users' reference: it must show every match kind, nodes in two locs with a gray tag,
        // a consistent-hash service, both kinds of mapping (one stripping) and a service set.
        Assert.Equal(
            [MatchKind.Exact, MatchKind.Template, MatchKind.Wildcard, MatchKind.Prefix, MatchKind.Regex],
            orders.Apis.Select(a => ApiPathSyntax.Resolve(a.Match, a.Path)).Distinct().Order());
        Assert.Equal(["dc1", "dc2"], orders.Nodes.Select(n => n.Loc));
        Assert.Contains(orders.Nodes, n => n.Gray.Count > 0);
        Assert.Equal(["http://127.0.0.1:5101", "http://127.0.0.1:5102"], orders.Nodes.Select(n => n.Address));
        Assert.Equal("http://127.0.0.1:5201", Assert.Single(users.Nodes).Address);
        Assert.Equal(LoadBalancerKind.ConsistentHash, users.Policy?.LoadBalancer?.Kind);
        Assert.Contains(config.OriginMappings, m => m.DomainPrefix is not null);
        Assert.Contains(config.OriginMappings, m => m.PathPrefix is not null && m.StripPrefix);
        Assert.NotEmpty(config.ServiceSets);
        Assert.NotNull(config.Global);
    }

    [Fact]
    public void Sample_ErrorExampleInHeader_MatchesWhatTheLoaderReports()
    {
        // The header comment quotes the error a bad weight gives; keep it true.
        var text = File.ReadAllText(_samplePath);
        var quoted = text.Split('\n').Single(l => l.Contains("gatehouse.yaml: services[orders]", StringComparison.Ordinal)).TrimStart('#', ' ');
        var broken = text.Replace("        weight: 100\n", "        weight: abc\n", StringComparison.Ordinal);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(broken, "gatehouse.yaml", ConfigFormat.Yaml)).Errors);

        Assert.Equal(quoted, error.ToString());
    }
}
