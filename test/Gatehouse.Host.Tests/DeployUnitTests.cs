using System.Globalization;

namespace Gatehouse.Host.Tests;

/// <summary>The shipped systemd unit (deploy/gatehouse-gateway.service) stays consistent with the gateway's stop.</summary>
public sealed class DeployUnitTests
{
    // The gateway's defaults (GatewayOptions.DrainDelay and ShutdownTimeout, docs/configuration.md).
    private static readonly TimeSpan DefaultDrain = TimeSpan.FromSeconds(5) + TimeSpan.FromSeconds(30);

    [Fact]
    public void GatewayUnit_StopsWithSigtermAndWaitsLongerThanTheDrain()
    {
        var unit = Settings(File.ReadAllLines(Path.Combine(RepositoryRoot(), "deploy", "gatehouse-gateway.service")));

        // simple, not notify: the gateway sends no sd_notify, and a notify unit would never count as started.
        Assert.Equal("simple", unit["Type"]);
        Assert.Equal("SIGTERM", unit["KillSignal"]);
        Assert.Equal("on-failure", unit["Restart"]);
        Assert.True(TimeSpan.FromSeconds(int.Parse(unit["TimeoutStopSec"], CultureInfo.InvariantCulture)) > DefaultDrain,
            $"TimeoutStopSec={unit["TimeoutStopSec"]} must exceed the default drain delay plus shutdown timeout ({DefaultDrain.TotalSeconds} s)");
        Assert.NotEqual("root", unit.GetValueOrDefault("User", "root"));
        Assert.Contains(" gateway ", unit["ExecStart"], StringComparison.Ordinal);
    }

    /// <summary>Key=value lines (continuation lines joined); the last value of a key wins, as in systemd.</summary>
    private static Dictionary<string, string> Settings(string[] lines)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var joined = string.Join('\n', lines).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (var line in joined.Split('\n'))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !line.StartsWith('#'))
            {
                settings[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return settings;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Gatehouse.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"Gatehouse.slnx not found above {AppContext.BaseDirectory}");
    }
}
