using System.Net;
using System.Text;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Api;

public abstract class ImportExportTests(AdminFixture store) : IAsyncLifetime
{
    private static readonly string _samplePath = Path.Combine(AppContext.BaseDirectory, "samples", "gatehouse.yaml");
    private AdminHost _host = null!;

    public async Task InitializeAsync()
    {
        // Every test imports into the group "default", so each one gets an admin and a store of its own.
        _host = await store.StartAdminAsync();
        var response = await _host.Client.PostAsync("/api/v1/groups", AdminHost.Json("""{"name":"default"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ImportSample_ThenExport_RoundTripsToTheSameChecksum()
    {
        var yaml = await File.ReadAllTextAsync(_samplePath);
        var imported = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, imported.GetProperty("version").GetInt64());
        var expected = ConfigLoader.LoadFile(_samplePath) with { Version = 2, Group = "default" };
        Assert.Equal(ConfigChecksum.Compute(expected), imported.GetProperty("checksum").GetString());

        var exportResponse = await _host.Client.GetAsync("/api/v1/groups/default/export");
        Assert.Equal(HttpStatusCode.OK, exportResponse.StatusCode);
        var exported = ConfigLoader.Parse(await exportResponse.Content.ReadAsStringAsync(), "export.json", ConfigFormat.Json);
        Assert.Equal(imported.GetProperty("checksum").GetString(), ConfigChecksum.Compute(exported));

        // Importing the export again changes nothing but the version number.
        var again = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            AdminHost.Json(ConfigSerializer.Serialize(exported)))).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(ConfigChecksum.Compute(exported with { Version = 3 }), again.GetProperty("checksum").GetString());
    }

    [Fact]
    public async Task Import_InvalidDocument_NamesTheEntryAndChangesNothing()
    {
        var versions = await _host.VersionCountAsync("default");
        const string yaml = """
            services:
              - name: orders
                nodes:
                  - address: ftp://nope
            """;
        var problem = await (await _host.Client.PostAsync("/api/v1/groups/default/import",
            new StringContent(yaml, Encoding.UTF8, "application/yaml"))).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith("services[orders].nodes", StringComparison.Ordinal));
        Assert.Equal(versions, await _host.VersionCountAsync("default"));
    }

    [Fact]
    public async Task Import_DocumentForAnotherGroup_IsRejected()
    {
        var problem = await (await _host.Client.PostAsync("/api/v1/groups/default/import", AdminHost.Json("""{"group":"other"}""")))
            .ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("group", out _));
    }
}

public sealed class ImportExportTestsSqlite(SqliteAdmin fixture) : ImportExportTests(fixture), IClassFixture<SqliteAdmin>;

[Collection(PostgresCollection.Name)]
public sealed class ImportExportTestsPostgres(PostgresAdmin fixture) : ImportExportTests(fixture), IClassFixture<PostgresAdmin>;
