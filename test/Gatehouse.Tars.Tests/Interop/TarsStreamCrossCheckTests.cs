using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gatehouse.Tars.Codec;
using Gatehouse.Tars.Json;
using Gatehouse.Tars.Schema;
using Gatehouse.Testing;

namespace Gatehouse.Tars.Tests.Interop;

/// <summary>
/// The Tars codec against @tars/stream 2.0.3 (the encoding of @tars/rpc), both ways, over the corpus in
/// test/tools/tars/corpus.json (every type, compaction and length boundaries, tags of 15 and more, nested structs,
/// large values): what we write, @tars/stream reads as the same value; what it writes, we read as the same.
/// </summary>
public sealed class TarsStreamCrossCheckTests
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(60);

    internal static (TarsIdl Idl, List<(string Name, TarsType Type, JsonElement Value)> Entries) LoadCorpus()
    {
        var idl = TarsIdlParser.Parse(File.ReadAllText(TarsServerProcess.InterfaceFile));
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(TarsNodeTools.Directory, "corpus.json")));
        var entries = new List<(string, TarsType, JsonElement)>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var type = TarsTypeParser.Parse(entry.GetProperty("type").GetString()!);
            TarsTypeParser.Bind(type, idl.Structs);
            entries.Add((entry.GetProperty("name").GetString()!, type, entry.GetProperty("value").Clone()));
        }

        return (idl, entries);
    }

    internal static byte[] Encode(TarsType type, JsonElement value)
    {
        var output = new ArrayBufferWriter<byte>();
        TarsJson.Write(new TarsWriter(output), 0, value, type);
        return output.WrittenSpan.ToArray();
    }

    internal static JsonNode Decode(TarsType type, byte[] bytes)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            var reader = new TarsReader(bytes);
            TarsJson.Read(ref reader, reader.ReadHead().Type, type, json);
            Assert.True(reader.End, "bytes left after the value");
        }

        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    [Fact]
    public async Task OurEncoding_DecodedByTarsStream_GivesTheSameValues()
    {
        await TarsNodeTools.EnsureInstalledAsync();
        var (_, entries) = LoadCorpus();
        var encoded = new JsonObject();
        foreach (var (name, type, value) in entries)
        {
            encoded[name] = Convert.ToBase64String(Encode(type, value));
        }

        var file = Path.Combine(Path.GetTempPath(), $"tars-check-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, encoded.ToJsonString());
        try
        {
            var (code, output, error) = await TarsNodeTools.RunAsync("node", ["tars-check.js", "decode", file], NodeTimeout);
            Assert.True(code == 0, error);
            var decoded = JsonNode.Parse(output)!.AsObject();
            Assert.Equal(entries.Count, decoded.Count);
            var failures = new StringBuilder();
            foreach (var (name, _, value) in entries)
            {
                var result = decoded[name]!;
                if (result["error"] is { } problem)
                {
                    failures.AppendLine($"{name}: @tars/stream failed: {problem}");
                }
                else if (!JsonNode.DeepEquals(JsonNode.Parse(value.GetRawText()), result["value"]))
                {
                    failures.AppendLine($"{name}: expected {Shorten(value.GetRawText())}, @tars/stream read {Shorten(result["value"]?.ToJsonString())}");
                }
            }

            Assert.True(failures.Length == 0, failures.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TarsStreamEncoding_DecodedByUs_GivesTheSameValuesAndBytes()
    {
        await TarsNodeTools.EnsureInstalledAsync();
        var (_, entries) = LoadCorpus();
        var (code, output, error) = await TarsNodeTools.RunAsync("node", ["tars-check.js", "encode"], NodeTimeout);
        Assert.True(code == 0, error);
        var encoded = JsonNode.Parse(output)!.AsObject();
        var failures = new StringBuilder();
        foreach (var (name, type, value) in entries)
        {
            var bytes = Convert.FromBase64String(encoded[name]!.GetValue<string>());
            try
            {
                var decoded = Decode(type, bytes);
                if (!JsonNode.DeepEquals(JsonNode.Parse(value.GetRawText()), decoded))
                {
                    failures.AppendLine($"{name}: expected {Shorten(value.GetRawText())}, we read {Shorten(decoded.ToJsonString())}");
                }

                // Same compaction and layout: @tars/stream and we write identical bytes for the same value, except
                // for the entry order of maps with numeric keys (JavaScript objects order integer keys ascending).
                if (!HasNumericKeys(type) && !bytes.AsSpan().SequenceEqual(Encode(type, value)))
                {
                    failures.AppendLine($"{name}: our bytes differ from @tars/stream's");
                }
            }
            catch (TarsFormatException e)
            {
                failures.AppendLine($"{name}: {e.Message}");
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static bool HasNumericKeys(TarsType type) => type.Kind switch
    {
        TarsTypeKind.Map => type.Key!.Kind != TarsTypeKind.String || HasNumericKeys(type.Element!),
        TarsTypeKind.Vector => HasNumericKeys(type.Element!),
        _ => false,
    };

    private static string Shorten(string? text) => text is null ? "null" : text.Length > 200 ? text[..200] + "…" : text;
}
