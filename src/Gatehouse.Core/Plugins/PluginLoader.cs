using System.Reflection;
using System.Security.Cryptography;
using Gatehouse.Plugins;

namespace Gatehouse.Core.Plugins;

/// <summary>One loaded version of a plugin folder: its load context and the factories found in its assembly.</summary>
public sealed class LoadedPlugin(string folder, string fingerprint, string assembly, string sha256, PluginLoadContext context,
    IGatewayPluginFactory[] factories, DateTimeOffset loadedAt)
{
    public string Folder { get; } = folder;

    /// <summary>File names, sizes and times of the folder when it was loaded.</summary>
    public string Fingerprint { get; } = fingerprint;

    /// <summary>The plugin assembly's full name.</summary>
    public string Assembly { get; } = assembly;

    /// <summary>SHA-256 of the plugin assembly's file, lower-case hex.</summary>
    public string Sha256 { get; } = sha256;

    public PluginLoadContext Context { get; } = context;

    public IGatewayPluginFactory[] Factories { get; } = factories;

    public DateTimeOffset LoadedAt { get; } = loadedAt;

    public string[] FactoryNames => Array.ConvertAll(Factories, f => f.Name);
}

/// <summary>A plugin folder that could not be loaded; the message is for operators.</summary>
public sealed class PluginLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Loads a plugin folder into a new <see cref="PluginLoadContext"/> and finds its factories.</summary>
public static class PluginLoader
{
    /// <summary>
    /// Loads <paramref name="path"/>: its plugin assembly (<c>&lt;folder&gt;.dll</c>, or the one a single
    /// <c>*.deps.json</c> names, as <c>dotnet publish</c> leaves it), then every other assembly of the folder, then
    /// creates each public <see cref="IGatewayPluginFactory"/> with a public parameterless constructor.
    /// </summary>
    /// <exception cref="PluginLoadException">The folder is not a usable plugin; its context has been unloaded.</exception>
    public static LoadedPlugin Load(string path, string fingerprint, DateTimeOffset now)
    {
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        var main = FindPluginAssembly(path, folder);
        var context = new PluginLoadContext($"plugin:{folder}");
        try
        {
            var image = File.ReadAllBytes(main);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(image));
            var assembly = LoadOne(context, main, image);
            if (SharedAssemblies.Contains(assembly.GetName().Name!))
            {
                throw new PluginLoadException($"{Path.GetFileName(main)} is an assembly the gateway itself provides, not a plugin");
            }

            foreach (var file in Directory.EnumerateFiles(path, "*.dll"))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (string.Equals(file, main, StringComparison.Ordinal) || SharedAssemblies.Contains(name))
                {
                    continue; // the contract and the framework come from the gateway, whatever copy the folder has
                }

                try
                {
                    LoadOne(context, file, File.ReadAllBytes(file));
                }
                catch (PluginLoadException ex) when (ex.InnerException is BadImageFormatException)
                {
                    // A native library or another file that is not .NET code; the plugin may load it itself.
                }
            }

            var factories = CreateFactories(assembly);
            return new LoadedPlugin(folder, fingerprint, assembly.FullName!, sha256, context, factories, now);
        }
        catch (Exception ex)
        {
            context.Unload();
            throw ex as PluginLoadException ?? new PluginLoadException($"cannot load the plugin: {ex.Message}", ex);
        }
    }

    private static string FindPluginAssembly(string path, string folder)
    {
        var named = Path.Combine(path, folder + ".dll");
        if (File.Exists(named))
        {
            return named;
        }

        var deps = Directory.GetFiles(path, "*.deps.json");
        if (deps.Length == 1)
        {
            var main = Path.Combine(path, Path.GetFileName(deps[0])[..^".deps.json".Length] + ".dll");
            if (File.Exists(main))
            {
                return main;
            }
        }

        throw new PluginLoadException($"no plugin assembly: expected '{folder}.dll' or a single '*.deps.json' naming it (dotnet publish output)");
    }

    private static Assembly LoadOne(PluginLoadContext context, string file, byte[] image)
    {
        var symbols = Path.ChangeExtension(file, ".pdb");
        try
        {
            return context.Add(image, File.Exists(symbols) ? File.ReadAllBytes(symbols) : null);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException)
        {
            throw new PluginLoadException($"{Path.GetFileName(file)} is not a loadable .NET assembly: {ex.Message}", ex);
        }
    }

    private static IGatewayPluginFactory[] CreateFactories(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            // Typically built against another version of the contract, or a dependency missing from the folder.
            var first = Array.Find(ex.LoaderExceptions, e => e is not null)?.Message ?? ex.Message;
            throw new PluginLoadException($"cannot load the types of {assembly.GetName().Name}: {first}", ex);
        }

        var factories = new List<IGatewayPluginFactory>();
        foreach (var type in types)
        {
            if (!type.IsPublic || type.IsAbstract || !typeof(IGatewayPluginFactory).IsAssignableFrom(type) || type.GetConstructor(Type.EmptyTypes) is null)
            {
                continue;
            }

            try
            {
                factories.Add((IGatewayPluginFactory)Activator.CreateInstance(type)!);
            }
            catch (TargetInvocationException ex)
            {
                throw new PluginLoadException($"the constructor of {type.FullName} threw: {ex.InnerException?.Message ?? ex.Message}", ex);
            }
        }

        if (factories.Count == 0)
        {
            throw new PluginLoadException(
                $"{assembly.GetName().Name} has no public {nameof(IGatewayPluginFactory)} with a public parameterless constructor");
        }

        try
        {
            // Checks the names (lower case letters, digits, '-') and that the plugin does not name two factories alike.
            _ = PluginCatalog.Create(factories);
        }
        catch (ArgumentException ex)
        {
            throw new PluginLoadException(ex.Message, ex);
        }

        return [.. factories];
    }
}
