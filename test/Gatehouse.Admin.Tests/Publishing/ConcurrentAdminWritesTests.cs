using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Admin.Tests.Infrastructure;
using Gatehouse.Core.Config;

namespace Gatehouse.Admin.Tests.Publishing;

/// <summary>
/// Two admins on one PostgreSQL database, writing to one group at the same time: each admin serialises its own writes,
/// so the only race is between the two for the group's next version number (ConfigWriter's commit retry).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConcurrentAdminWritesTests(PostgresServer postgres)
{
    [Fact]
    public async Task Write_ConcurrentCreatesThroughTwoAdmins_AllAcknowledgedAndPublished_NoneLost()
    {
        await using var first = await postgres.StartAdminAsync();
        await using var second = await first.StartSiblingAsync();
        var group = await first.CreateGroupAsync();

        // Three writers per admin, each creating its own services one after another: writes of one admin queue on its
        // gate, writes of the two admins race for every version number.
        const int PerWriter = 8;
        var answers = new ConcurrentBag<(string Name, HttpStatusCode Status, string Body)>();
        await Task.WhenAll(new[] { first, second }.SelectMany((admin, a) => Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var name = $"svc-{a}-{w}-{i}";
                using var response = await admin.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service(name)));
                answers.Add((name, response.StatusCode, await response.Content.ReadAsStringAsync()));
            }
        }))));

        var refused = answers.Where(a => a.Status != HttpStatusCode.Created).ToList();
        Assert.True(refused.Count == 0, $"{refused.Count} of {answers.Count} writes refused, e.g. {refused.FirstOrDefault()}");

        // Every acknowledged write is in the latest version, whichever admin is asked, and each published exactly one version.
        foreach (var admin in new[] { first, second })
        {
            var exported = await (await admin.Client.GetAsync($"/api/v1/groups/{group}/export")).ReadJsonAsync(HttpStatusCode.OK);
            var config = ConfigSerializer.Deserialize(exported.GetRawText(), "test");
            Assert.Equal(answers.Select(a => a.Name).Order(), config.Services.Select(s => s.Name).Order());
            Assert.Equal(1 + answers.Count, config.Version);
        }

        Assert.Equal(1 + answers.Count, await second.VersionCountAsync(group));
    }

    [Fact]
    public async Task Write_SameRevisionThroughTwoAdmins_OneWinsTheOtherIsStale_NoOverwrite()
    {
        await using var first = await postgres.StartAdminAsync();
        await using var second = await first.StartSiblingAsync();
        var group = await first.CreateGroupAsync();
        await (await first.Client.PostAsync($"/api/v1/groups/{group}/services", AdminHost.Json(Http.Service("orders"))))
            .ReadJsonAsync(HttpStatusCode.Created);

        // Both replace revision 1 at once with different weights: a lost update would answer 200 to both.
        HttpRequestMessage Replace(int weight) => new HttpRequestMessage(HttpMethod.Put, $"/api/v1/groups/{group}/services/orders")
        {
            Content = AdminHost.Json(Http.Service("orders", weight: weight)),
        }.WithRevision(1);
        var responses = await Task.WhenAll(first.Client.SendAsync(Replace(7)), second.Client.SendAsync(Replace(9)));

        var won = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        var lost = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        var problem = await lost.ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("stale_revision", problem.GetProperty("code").GetString());
        var winner = (await won.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("service").GetProperty("nodes")[0].GetProperty("weight").GetInt32();

        var stored = await (await second.Client.GetAsync($"/api/v1/groups/{group}/services/orders")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(winner, stored.GetProperty("service").GetProperty("nodes")[0].GetProperty("weight").GetInt32());
        Assert.Equal(3, await first.VersionCountAsync(group));
    }
}
