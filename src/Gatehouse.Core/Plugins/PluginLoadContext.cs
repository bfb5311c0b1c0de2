using System.Collections.Frozen;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using Gatehouse.Plugins;

namespace Gatehouse.Core.Plugins;

/// <summary>
/// The collectible load context of one plugin version. The plugin's own assemblies are loaded into it from bytes; the
/// contract (<c>Gatehouse.Plugins</c>) and the framework's assemblies resolve to the default context, so the plugin's
/// <see cref="IGatewayPluginFactory"/> is the gateway's type and the plugin never brings a second ASP.NET Core.
/// </summary>
/// <remarks>
/// Assemblies are read into memory rather than mapped from their files: a plugin folder can then be overwritten or
/// deleted at any time (a file truncated under a mapping would crash the process), and every assembly of the folder is
/// loaded when the plugin is, so a request still running old code after <see cref="AssemblyLoadContext.Unload"/> never
/// needs to load anything more into a context that is unloading.
/// </remarks>
public sealed class PluginLoadContext : AssemblyLoadContext
{
    public PluginLoadContext(string name)
        : base(name, isCollectible: true)
    {
    }

    /// <summary>Loads an assembly image (and its symbols, for stack traces) into this context.</summary>
    public Assembly Add(byte[] image, byte[]? symbols)
    {
        using var imageStream = new MemoryStream(image, writable: false);
        using var symbolStream = symbols is null ? null : new MemoryStream(symbols, writable: false);
        return LoadFromStream(imageStream, symbolStream);
    }

    /// <summary>The plugin's own copy when it has one and the name is not shared; else the default context resolves it.</summary>
    /// <remarks>
    /// The context's own list is searched rather than a dictionary kept here: a managed reference from the context to its
    /// assemblies was seen to keep the context from being collected after <see cref="AssemblyLoadContext.Unload"/>.
    /// </remarks>
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is not { } name || SharedAssemblies.Contains(name))
        {
            return null;
        }

        foreach (var assembly in Assemblies)
        {
            if (string.Equals(assembly.GetName().Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return assembly;
            }
        }

        return null;
    }
}

/// <summary>Assemblies that always come from the default context: the plugin contract and the shared frameworks.</summary>
public static class SharedAssemblies
{
    private static readonly FrozenSet<string> Names = Build();

    public static bool Contains(string name) => Names.Contains(name);

    private static FrozenSet<string> Build()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { typeof(IGatewayPluginFactory).Assembly.GetName().Name! };

        // A framework-dependent app runs from dotnet/shared/<framework>/<version>/; its trusted platform assemblies under
        // dotnet/shared/ are the frameworks (Microsoft.NETCore.App, Microsoft.AspNetCore.App). A self-contained app
        // carries the frameworks in its own directory, where they cannot be told apart from its other dependencies:
        // then every assembly the gateway ships is shared.
        var runtime = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var selfContained = string.Equals(runtime, Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), StringComparison.Ordinal);
        var sharedRoot = Path.GetDirectoryName(Path.GetDirectoryName(runtime)) + Path.DirectorySeparatorChar;
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string trusted)
        {
            foreach (var path in trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (selfContained || path.StartsWith(sharedRoot, StringComparison.Ordinal))
                {
                    names.Add(Path.GetFileNameWithoutExtension(path));
                }
            }
        }

        return names.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
