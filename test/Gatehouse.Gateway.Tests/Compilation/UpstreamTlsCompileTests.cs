using Gatehouse.Core.Config;
using Gatehouse.Gateway.Compilation;
using Gatehouse.Gateway.Forwarding;
using Gatehouse.Gateway.LoadBalancing;
using Gatehouse.Gateway.Model;
using Gatehouse.Gateway.Routing;
using Gatehouse.Gateway.Tests.Infrastructure;

namespace Gatehouse.Gateway.Tests.Compilation;

public sealed class UpstreamTlsCompileTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-tls-compile-").FullName;
    private readonly UpstreamClientFactory _clients = new();

    private SnapshotCompiler Compiler() =>
        new("default", null, RouterPipeline.Default, LoadBalancerRegistry.CreateDefault(), _clients, new NodeStateRegistry(), TimeProvider.System);

    private static GatewayConfig Config(UpstreamTlsConfig? tls, string name = "svc") => new()
    {
        Services =
        [
            new ServiceConfig
            {
                Name = name,
                UpstreamTls = tls,
                Nodes = [new NodeConfig { Id = "n1", Address = "https://127.0.0.1:8443" }],
                Apis = [new ApiConfig { Id = "a", Path = "/a" }, new ApiConfig { Id = "b", Path = "/b" }],
            },
        ],
    };

    private ConfigSnapshot Compile(GatewayConfig config) => Compiler().Compile(config, "test.yaml", 1, ConfigChecksum.Compute(config));

    [Fact]
    public void Compile_UnchangedFiles_SameInvoker_ChangedCaContent_NewInvoker()
    {
        var ca = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(ca, _pki.Root.ExportCertificatePem());
        var config = Config(new UpstreamTlsConfig { CaFile = ca });

        var first = Compile(config).Services["svc"];
        var again = Compile(config).Services["svc"];
        var pools = _clients.Count;

        Assert.Same(first.Apis[0].Invoker, first.Apis[1].Invoker);
        Assert.Same(first.Apis[0].Invoker, again.Apis[0].Invoker);
        Assert.Same(first.Nodes[0].Tls, first.Nodes[0].Tls);
        Assert.Equal(first.Nodes[0].Tls, again.Nodes[0].Tls);

        // Same path, rotated content: the next compile reads it and gets its own pool.
        using var rotated = TestPki.Create("Rotated");
        File.WriteAllText(ca, rotated.Root.ExportCertificatePem());
        var changed = Compile(config).Services["svc"];

        Assert.NotSame(first.Apis[0].Invoker, changed.Apis[0].Invoker);
        Assert.Equal(pools + 1, _clients.Count);
    }

    [Fact]
    public void Compile_NoUpstreamTls_NodeHasNoTlsAndDefaultPool()
    {
        var service = Compile(Config(null)).Services["svc"];

        Assert.Null(service.Nodes[0].Tls);
        Assert.Same(_clients.GetInvoker(UpstreamTransportSettings.Default), service.Apis[0].Invoker);
    }

    [Fact]
    public void Compile_BadFilesInTwoServices_OneExceptionNamingBoth()
    {
        var config = Config(new UpstreamTlsConfig { CaFile = Path.Combine(_dir, "absent.pem") }) with
        {
            Services =
            [
                Config(new UpstreamTlsConfig { CaFile = Path.Combine(_dir, "absent.pem") }, "one").Services[0],
                Config(new UpstreamTlsConfig { ClientPfxFile = Path.Combine(_dir, "absent.pfx") }, "two").Services[0],
            ],
        };

        var ex = Assert.Throws<ConfigException>(() => Compile(config));

        Assert.Equal(["services[one].upstreamTls.caFile", "services[two].upstreamTls.clientPfxFile"], ex.Errors.Select(e => e.Entry).ToArray());
        Assert.All(ex.Errors, e => Assert.Equal("test.yaml", e.Source));
    }

    [Fact]
    public void Compile_ServiceOfOtherGroup_FilesNotRead()
    {
        var config = Config(new UpstreamTlsConfig { CaFile = Path.Combine(_dir, "absent.pem") }) with
        {
            Services = [Config(new UpstreamTlsConfig { CaFile = Path.Combine(_dir, "absent.pem") }).Services[0] with { Group = "elsewhere" }],
        };

        Assert.Empty(Compile(config).Services);
    }

    public void Dispose()
    {
        _clients.Dispose();
        _pki.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
