using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Gateway.ConfigSync;
using Gatehouse.Gateway.FunctionalTests.Infrastructure;
using static Gatehouse.Gateway.FunctionalTests.ConfigSync.SyncTestKit;

namespace Gatehouse.Gateway.FunctionalTests.ConfigSync;

/// <summary>Admin mode when the admin is away or wrong: local snapshot file, no config, rejected documents.</summary>
public class AdminConfigSyncFallbackTests
{
    private const int ServingFromSnapshotFileEvent = 3318;
    private const int NoConfigAvailableEvent = 3319;
    private const int DocumentRejectedEvent = 3316;
    private const int AdminUnreachableEvent = 3313;
    private const int SignatureRefusedEvent = 3323;
    private const int UnsignedRefusedEvent = 3324;

    [Fact]
    public async Task AdminDownAtStart_SnapshotFilePresent_ServesFromIt()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        var file = SnapshotServer.BuildDocument(Config(7, blue)).ToJsonString();
        await using var gw = await GatewayTestHost.StartWithAdminAsync($"http://127.0.0.1:{FreePort.Next()}", Secret, file);

        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("blue|", body);
        Assert.Equal(7, (await gw.GetVersionAsync()).Version);
        Assert.Equal("snapshot file", await GetSourceAsync(gw));
        Assert.True(gw.Logs.Has(ServingFromSnapshotFileEvent));

        // Start-up lines in order and in words that are true: the admin is down, the file is tried, version 7 served.
        var lines = gw.Logs.Entries.Where(e => e.EventId.Id is AdminUnreachableEvent or ServingFromSnapshotFileEvent).ToList();
        Assert.Equal([AdminUnreachableEvent, ServingFromSnapshotFileEvent], lines.Select(e => e.EventId.Id));
        Assert.EndsWith("; trying the local snapshot file next; retrying with backoff", lines[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("version 0", lines[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("Serving config version 7 from the local snapshot file", lines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoControlSecret_AdminRefuses_LoggedAsMissingSecretNotUnreachable()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, secret: null);

        var refused = Assert.Single(gw.Logs.Entries, e => e.EventId.Id == UnsignedRefusedEvent);
        Assert.Contains("no control secret (Gatehouse:ControlSecret) is set on this node", refused.Message, StringComparison.Ordinal);
        Assert.Contains("admin answered 401", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(gw.Logs.Entries, e => e.EventId.Id is AdminUnreachableEvent or SignatureRefusedEvent);
        Assert.DoesNotContain(gw.Logs.Entries, e => e.Message.Contains("unreachable", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task AdminDownAtStart_NoFile_NoConfigUntilAdminComesUp()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        var port = FreePort.Next();
        await using var gw = await GatewayTestHost.StartWithAdminAsync($"http://127.0.0.1:{port}", Secret);

        var (status, body) = await GetAsync(gw);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("no_config", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gw.Control.GetAsync("/readyz")).StatusCode);
        Assert.True(gw.Logs.Has(NoConfigAvailableEvent));

        // The retry backoff (not the one-minute pull interval) brings the config in once the admin is up.
        await using var admin = await SnapshotServer.StartAsync(Secret, port);
        admin.Serve(Config(1, blue));
        await WaitForVersionAsync(gw, 1, TimeSpan.FromSeconds(5));
        Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
        Assert.Equal(HttpStatusCode.OK, (await gw.Control.GetAsync("/readyz")).StatusCode);
        await WaitForSnapshotFileAsync(gw, 1);
    }

    [Theory]
    [InlineData("checksum")]
    [InlineData("group")]
    [InlineData("version")]
    public async Task BadDocumentFromAdmin_Rejected_PreviousKeepsServing(string flaw)
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var green = await EchoBackend.StartAsync("green");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        await using var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);
        var before = await gw.GetVersionAsync();

        var document = SnapshotServer.BuildDocument(Config(2, green), group: flaw == "group" ? "other" : "default");
        switch (flaw)
        {
            case "checksum":
                document["checksum"] = new string('0', 64);
                break;
            case "version":
                document["version"] = 3;
                break;
        }

        admin.ServeRaw(document.ToJsonString(), 3);
        using var push = await SnapshotServer.PushAsync(gw.Control, Secret, 2);
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
        await GatewayTestHost.WaitUntilAsync(() => Task.FromResult(gw.Logs.Has(DocumentRejectedEvent)), TimeSpan.FromSeconds(2),
            "the gateway did not reject the document");

        Assert.Equal(before, await gw.GetVersionAsync());
        Assert.StartsWith("blue|", (await GetAsync(gw)).Body);
        Assert.Equal(1, SnapshotDocument.Parse(await File.ReadAllTextAsync(gw.SnapshotPath), "default", "test").Version);
    }

    [Fact]
    public async Task SnapshotFile_ReplacedAtomically_LoadableByANewNode()
    {
        await using var blue = await EchoBackend.StartAsync("blue");
        await using var admin = await SnapshotServer.StartAsync(Secret);
        admin.Serve(Config(1, blue));
        var gw = await GatewayTestHost.StartWithAdminAsync(admin.Url, Secret);
        string file;
        try
        {
            // A reader that parses the file continuously must never see a partial one while versions move on.
            using var stop = new CancellationTokenSource();
            var reads = 0;
            var reader = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    SnapshotDocument.Parse(await File.ReadAllTextAsync(gw.SnapshotPath), "default", "reader");
                    reads++;
                }
            });

            for (var version = 2; version <= 8; version++)
            {
                admin.Serve(Config(version, blue));
                using var push = await SnapshotServer.PushAsync(gw.Control, Secret, version);
                await WaitForVersionAsync(gw, version, TimeSpan.FromSeconds(2));
            }

            stop.Cancel();
            await reader;
            Assert.True(reads > 0);
            var stored = await WaitForSnapshotFileAsync(gw, 8);
            Assert.Equal((await gw.GetVersionAsync()).Checksum, stored.Checksum);
            file = await File.ReadAllTextAsync(gw.SnapshotPath);
            Assert.Equal([gw.SnapshotPath], Directory.GetFiles(Path.GetDirectoryName(gw.SnapshotPath)!, "snapshot*"));
        }
        finally
        {
            await gw.DisposeAsync();
        }

        // A node whose admin is down starts from that file and serves the same snapshot.
        await using var restarted = await GatewayTestHost.StartWithAdminAsync($"http://127.0.0.1:{FreePort.Next()}", Secret, file);
        var (version8, checksum8) = await restarted.GetVersionAsync();
        Assert.Equal(8, version8);
        Assert.Equal(SnapshotDocument.Parse(file, "default", "test").Checksum, checksum8);
        Assert.StartsWith("blue|", (await GetAsync(restarted)).Body);
        var info = await restarted.Control.GetFromJsonAsync<JsonElement>("/control/config/version");
        Assert.Equal("snapshot file", info.GetProperty("source").GetString());
    }
}
