using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;
using Gatehouse.Core.Plugins;
using Gatehouse.Gateway.Filters.Plugins.Loading;
using Gatehouse.Plugins;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Tests.Filters.Plugins.Loading;

/// <summary>
/// Loading plugin folders into collectible contexts, with the sample plugin and the test plugins the test project
/// builds into test-plugins/ (test/plugins/TestPlugins.targets).
/// </summary>
public sealed class PluginLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-plugins-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    /// <summary>Copies the built plugin <paramref name="built"/> to a folder <paramref name="name"/> of the test's directory.</summary>
    internal static string Deploy(string built, string root, string name)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "test-plugins", built);
        var target = Path.Combine(root, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        return target;
    }

    [Fact]
    public async Task Load_SamplePlugin_FactoryImplementsTheGatewaysContractAndRuns()
    {
        var folder = Deploy("request-id-check", _dir, "request-id-check");

        var plugin = PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch);
        try
        {
            var factory = Assert.Single(plugin.Factories);
            Assert.Equal("request-id-check", factory.Name);
            Assert.Equal(64, plugin.Sha256.Length);
            Assert.StartsWith("Gatehouse.Samples.RequestIdCheck,", plugin.Assembly, StringComparison.Ordinal);

            // The plugin's own code is in its collectible context; the contract it implements is the gateway's.
            var context = AssemblyLoadContext.GetLoadContext(factory.GetType().Assembly);
            Assert.Same(plugin.Context, context);
            Assert.True(context!.IsCollectible);
            Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IGatewayPluginFactory).Assembly));
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "Gatehouse.Plugins");

            using var settings = JsonDocument.Parse("""{ "format": "uuid" }""");
            Assert.Empty(factory.Validate(settings.RootElement));
            Assert.Single(factory.Validate(JsonDocument.Parse("""{ "format": "ulid" }""").RootElement));
            var filter = factory.Create(settings.RootElement);
            var http = new DefaultHttpContext();
            var refused = await filter.OnRequestAsync(new PluginContext(http, "s", "a", null));
            Assert.Equal(400, refused!.Status);
            http.Request.Headers["X-Request-Id"] = Guid.NewGuid().ToString();
            Assert.Null(await filter.OnRequestAsync(new PluginContext(http, "s", "a", null)));
        }
        finally
        {
            plugin.Context.Unload();
        }
    }

    [Fact]
    public void Load_FilesReplacedOrDeletedAfterLoading_PluginKeepsWorking()
    {
        // Loaded from bytes, not mapped: the folder can be overwritten or removed while the plugin runs.
        var folder = Deploy("stamp-v1", _dir, "stamp");
        var plugin = PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch);
        try
        {
            Directory.Delete(folder, recursive: true);
            var filter = plugin.Factories[0].Create(default);
            var http = new DefaultHttpContext();
            filter.OnResponse(new PluginContext(http, "s", "a", null));
            Assert.Equal("v1", http.Response.Headers["X-Plugin-Stamp"].ToString());
        }
        finally
        {
            plugin.Context.Unload();
        }
    }

    [Fact]
    public void Load_CopyOfTheContractInTheFolder_IgnoredInFavourOfTheGateways()
    {
        var folder = Deploy("stamp-v1", _dir, "stamp");
        File.Copy(typeof(IGatewayPluginFactory).Assembly.Location, Path.Combine(folder, "Gatehouse.Plugins.dll"));

        var plugin = PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch);
        try
        {
            Assert.Equal("stamp", Assert.Single(plugin.Factories).Name);
            Assert.DoesNotContain(plugin.Context.Assemblies, a => a.GetName().Name == "Gatehouse.Plugins");
        }
        finally
        {
            plugin.Context.Unload();
        }
    }

    [Fact]
    public void Load_BadAssembly_RefusedWithTheReason()
    {
        var folder = Path.Combine(_dir, "bad");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "bad.dll"), "MZ this is not an assembly"u8.ToArray());

        var error = Assert.Throws<PluginLoadException>(() => PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch));

        Assert.Contains("bad.dll is not a loadable .NET assembly", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoPluginAssembly_RefusedWithTheReason()
    {
        var folder = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "no plugin here");

        var error = Assert.Throws<PluginLoadException>(() => PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch));

        Assert.Contains("expected 'empty.dll' or a single '*.deps.json'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unload_NothingHoldsThePlugin_ContextCollected()
    {
        var weak = LoadUseAndUnload(Deploy("stamp-v1", _dir, "stamp"));

        for (var i = 0; weak.IsAlive && i < 20; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(weak.IsAlive, "the plugin's load context was not collected");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadUseAndUnload(string folder)
    {
        var plugin = PluginLoader.Load(folder, "fp", DateTimeOffset.UnixEpoch);
        var http = new DefaultHttpContext();
        plugin.Factories[0].Create(default).OnResponse(new PluginContext(http, "s", "a", null));
        Assert.Equal("v1", http.Response.Headers["X-Plugin-Stamp"].ToString());
        plugin.Context.Unload();
        return new WeakReference(plugin.Context, trackResurrection: true);
    }

    [Fact]
    public void Scan_IgnoresDotFoldersAndEmptyFolders_FingerprintChangesWithContent()
    {
        Deploy("stamp-v1", _dir, "stamp");
        Deploy("stamp-v1", _dir, ".staging");
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));

        var before = PluginDirectoryWatcher.Scan(_dir);
        Deploy("stamp-v2", _dir, "stamp");
        var after = PluginDirectoryWatcher.Scan(_dir);

        Assert.Equal(["stamp"], before.Keys);
        Assert.NotEqual(before["stamp"], after["stamp"]);
    }
}
