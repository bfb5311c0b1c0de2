using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Gatehouse.Dubbo.Hessian;
using Gatehouse.Dubbo.Protocol;

namespace Gatehouse.Dubbo.Tests.Interop;

/// <summary>
/// The hessian2 codec against Caucho's reference implementation (Debian's libhessian-java, installed by the test
/// command), both ways: the same corpus as the hessian.js check, and Java's own values, a real Throwable included.
/// </summary>
public sealed class JavaHessianCrossCheckTests
{
    private const string HessianJar = "/usr/share/java/hessian.jar";

    private static async Task<string> RunJavaAsync(params string[] arguments)
    {
        Assert.True(File.Exists(HessianJar), $"{HessianJar} is missing: install libhessian-java (scripts/test.sh does)");
        var start = new ProcessStartInfo("java")
        {
            WorkingDirectory = Path.Combine(Gatehouse.Testing.NodeTools.Directory, "..", "java"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in (string[])["--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
                     "-cp", HessianJar, "HessianCheck.java", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(process.ExitCode == 0, await error);
        return await output;
    }

    private static Dictionary<string, string> Lines(string output)
    {
        var result = new Dictionary<string, string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t');
            result[line[..tab]] = line[(tab + 1)..];
        }

        return result;
    }

    [Fact]
    public async Task Encode_Corpus_CauchoDecodesSameValues()
    {
        var corpus = HessianJsCrossCheckTests.Corpus();
        var input = new StringBuilder();
        foreach (var (name, entry) in corpus)
        {
            var writer = new Hessian2Writer();
            writer.WriteValue(entry.Value);
            input.Append(name).Append('\t').Append(Convert.ToBase64String(writer.WrittenMemory.Span)).Append('\n');
        }

        var file = Path.Combine(Path.GetTempPath(), $"hessian-java-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, input.ToString());
        try
        {
            var decoded = Lines(await RunJavaAsync("decode", file));
            var failures = new List<string>();
            foreach (var (name, entry) in corpus)
            {
                var actual = JsonNode.Parse(decoded[name]);
                if (actual is JsonObject o && o.ContainsKey("$error"))
                {
                    failures.Add($"{name}: Caucho failed: {o["$error"]}");
                }
                else if (!HessianJsCrossCheckTests.JsonEquals(JsonNode.Parse(entry.Canonical), actual))
                {
                    failures.Add($"{name}: expected {HessianJsCrossCheckTests.Abbreviate(entry.Canonical)}, Caucho read {HessianJsCrossCheckTests.Abbreviate(decoded[name])}");
                }
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Decode_CauchoCorpus_SameValues()
    {
        var encoded = Lines(await RunJavaAsync("encode"));
        object? Read(string name)
        {
            var bytes = Convert.FromBase64String(encoded[name]);
            var reader = new Hessian2Reader(bytes);
            var value = reader.ReadValue();
            Assert.True(reader.End, $"{name}: {bytes.Length - reader.Position} bytes left after the value");
            return value;
        }

        Assert.Equal(300000, Read("int"));
        Assert.Equal(1L << 40, Read("long"));
        Assert.Equal(3.25, (double)Read("double")!, 9);
        Assert.Equal(0.001, (double)Read("double_thousandths")!, 9);
        Assert.Equal("a\U0001F600b", Read("string_non_bmp"));
        Assert.Equal(new string('x', 70000), Read("string_chunked"));
        Assert.Equal(new byte[] { 0, 1, 255 }, Read("binary"));
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc), Read("date"));
        Assert.Equal([1, "two", null, true], Assert.IsType<HessianList>(Read("list")).Items);
        var ints = Assert.IsType<HessianList>(Read("int_array"));
        Assert.Equal("[int", ints.Type);
        Assert.Equal([1, 2, 3], ints.Items);
        Assert.Equal("v", Assert.IsType<HessianMap>(Read("map")).Get("k"));

        var person = Assert.IsType<HessianObject>(Read("object"));
        Assert.Equal("HessianCheck$Person", person.ClassName);
        Assert.Equal("Ann", person.Get("name"));
        Assert.Equal(30, person.Get("age"));
        Assert.Equal("Bob", Assert.IsType<HessianObject>(person.Get("friend")).Get("name"));
        Assert.Equal(["a", "b"], Assert.IsType<HessianList>(person.Get("tags")).Items);

        var shared = Assert.IsType<HessianList>(Read("shared"));
        Assert.Same(shared.Items[0], shared.Items[1]);

        // A real java.lang.Throwable: class definition, a cause that refers to the exception itself, a stack trace of objects.
        var exception = Assert.IsType<HessianObject>(Read("exception"));
        Assert.Same(exception, exception.Get("cause"));
        Assert.NotEmpty(Assert.IsType<HessianList>(exception.Get("stackTrace")).Items);
        var info = DubboExceptionInfo.From(exception);
        Assert.Equal("java.lang.IllegalStateException", info.ClassName);
        Assert.Equal("boom", info.Message);
    }
}
