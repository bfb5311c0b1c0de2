using System.Diagnostics;
using Gatehouse.Redis.Tests.Infrastructure;

namespace Gatehouse.Redis.Tests.Integration;

/// <summary>
/// TLS to a redis-server whose certificate is signed by a private CA made for the test with openssl: trusted
/// through <see cref="RedisOptions.CaFile"/>, refused without it.
/// </summary>
public sealed class RedisTlsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-redis-tls-").FullName;
    private RedisServer _server = null!;

    private string CaFile => Path.Combine(_dir, "ca.crt");

    public async Task InitializeAsync()
    {
        await OpenSslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=gatehouse-test-ca");
        await OpenSslAsync("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
        await File.WriteAllTextAsync(Path.Combine(_dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        await OpenSslAsync("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
        _server = new RedisServer
        {
            Tls = true,
            ExtraArgs =
            [
                "--port", "0", "--tls-port", "{port}", "--tls-auth-clients", "no",
                "--tls-cert-file", Path.Combine(_dir, "server.crt"), "--tls-key-file", Path.Combine(_dir, "server.key"), "--tls-ca-cert-file", CaFile,
            ],
        };
        await _server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ConnectAsync_TlsWithTrustedCa_CommandsWork()
    {
        await using var client = new RedisClient(new RedisOptions { Address = $"{_server.Address},ssl=true", CaFile = CaFile });
        await client.ConnectAsync();

        Assert.True(await client.SetIfNotExistsAsync("gatehouse:tls", "1", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ConnectAsync_TlsWithoutTheCa_Refused()
    {
        await using var client = new RedisClient(new RedisOptions
        {
            Address = $"{_server.Address},ssl=true",
            ConnectTimeout = TimeSpan.FromMilliseconds(1000),
        });

        await Assert.ThrowsAsync<RedisNotConnectedException>(() => client.ConnectAsync());
    }

    private async Task OpenSslAsync(params string[] args)
    {
        var info = new ProcessStartInfo("openssl", args) { WorkingDirectory = _dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', args)}: {await error}");
    }
}
