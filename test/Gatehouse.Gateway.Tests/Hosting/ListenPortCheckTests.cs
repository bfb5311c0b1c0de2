using System.Net;
using System.Net.Sockets;
using Gatehouse.Gateway.Hosting;
using Gatehouse.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Gateway.Tests.Hosting;

public class ListenPortCheckTests
{
    [Fact]
    public void FindProblem_AllFree_Null()
    {
        ListenPort[] ports = [new(IPAddress.Loopback, LoopbackPorts.Next(), "traffic", "--port"), new(IPAddress.Loopback, LoopbackPorts.Next(), "control", "--control-port")];

        Assert.Null(ListenPortCheck.FindProblem(ports));
    }

    [Fact]
    public void FindProblem_SecondTaken_NamesItsPortRoleAndOption()
    {
        var free = LoopbackPorts.Next();
        var busy = LoopbackPorts.Next();
        using var holder = new TcpListener(IPAddress.Loopback, busy);
        holder.Start();

        var problem = ListenPortCheck.FindProblem(
            [new ListenPort(IPAddress.Loopback, free, "traffic", "--port"), new ListenPort(IPAddress.Loopback, busy, "control", "--control-port")]);

        Assert.Equal($"port {busy} (control) on 127.0.0.1 is already in use; choose another with --control-port", problem);
    }

    [Fact]
    public void FindProblem_TakenOnLoopback_CheckedOnEveryAddress_Found()
    {
        // Kestrel listening on 0.0.0.0 could not bind a port held on 127.0.0.1 either.
        var busy = LoopbackPorts.Next();
        using var holder = new TcpListener(IPAddress.Loopback, busy);
        holder.Start();

        Assert.NotNull(ListenPortCheck.FindProblem([new ListenPort(IPAddress.Any, busy, "traffic", "--port")]));
    }

    [Fact]
    public void FindProblem_DoesNotKeepThePort()
    {
        var port = LoopbackPorts.Next();
        Assert.Null(ListenPortCheck.FindProblem([new ListenPort(IPAddress.Loopback, port, "traffic", "--port")]));

        using var after = new TcpListener(IPAddress.Loopback, port);
        after.Start();
    }

    [Fact]
    public void IsAddressInUse_KestrelsWrappedException_True()
    {
        var kestrel = new IOException("Failed to bind to address http://127.0.0.1:8080: address already in use.",
            new AddressInUseException("Address already in use"));

        Assert.True(ListenPortCheck.IsAddressInUse(kestrel));
        Assert.False(ListenPortCheck.IsAddressInUse(new IOException("disk full")));
    }

    [Fact]
    public void ListenPorts_TlsEnabledAndPlainOff_TlsAndControlWithTheirSwitches()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gatehouse:Gateway:ListenAddress"] = "127.0.0.1",
            ["Gatehouse:Gateway:ControlPort"] = "9101",
            ["Gatehouse:Gateway:Tls:Port"] = "9443",
            ["Gatehouse:Gateway:Tls:DisablePlain"] = "true",
            ["Gatehouse:Gateway:Tls:CertificatePath"] = "server.pfx",
        }).Build();
        using var services = new ServiceCollection().AddGatehouseGateway(config).BuildServiceProvider();

        var ports = GatewayApplication.ListenPorts(services);

        Assert.Equal([("control", 9101, "--control-port"), ("TLS traffic", 9443, "--tls-port")],
            ports.Select(p => (p.Role, p.Port, p.Option)));
    }
}
