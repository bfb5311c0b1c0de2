using System.Net;
using System.Text.Json;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Scenario.Tests;

/// <summary>The real <c>gatehouse gateway</c> process terminating TLS from the command-line switches, and refusing a chain without its intermediate.</summary>
public sealed class TlsScenarioTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TestPki _pki = TestPki.Create("Scenario Tls");
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-tls-scenario-").FullName;

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Gateway_TlsSwitches_ServesHttpsToStrictClient()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: true);
        var tlsPort = GatehouseProcess.FreePort();
        await using var gateway = GatehouseProcess.Start("gw-tls", Args(cert, key, tlsPort));
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, c, chain, _) => _pki.StrictlyTrustsRoot((System.Security.Cryptography.X509Certificates.X509Certificate2)c!, chain) },
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };

        // No service is named, so the gateway itself answers: proof that TLS ended at the gateway.
        HttpResponseMessage? response = null;
        var deadline = DateTime.UtcNow + Patience;
        while (response is null)
        {
            Assert.False(gateway.HasExited, $"the gateway exited:\n{gateway.Output}");
            try
            {
                response = await client.GetAsync($"https://localhost:{tlsPort}/anything");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("service_not_found", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Gateway_LeafWithoutIntermediate_ExitsNonZeroNamingIt()
    {
        var (cert, key) = _pki.WriteServerPem(_dir, withIntermediate: false);
        await using var gateway = GatehouseProcess.Start("gw-tls-refused", Args(cert, key, GatehouseProcess.FreePort()));

        var exitCode = await gateway.WaitForExitAsync(Patience);

        Assert.Equal(1, exitCode);
        Assert.Contains("TLS certificate chain is incomplete: 'CN=localhost' is issued by 'CN=Scenario Tls Intermediate CA'", gateway.Output);
    }

    private string[] Args(string cert, string key, int tlsPort)
    {
        var config = Path.Combine(_dir, "gatehouse.yaml");
        File.WriteAllText(config, "services: []\n");
        return
        [
            "gateway", "--config", config, "--listen", "127.0.0.1", "--node-id", "gw-tls",
            "--port", GatehouseProcess.FreePort().ToString(), "--control-port", GatehouseProcess.FreePort().ToString(),
            "--tls-port", tlsPort.ToString(), "--tls-cert", cert, "--tls-key", key,
            "--Gatehouse:Gateway:Tls:TrustedRootsPath", _pki.WriteRootPem(_dir),
        ];
    }
}
