using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// Builds the JSON form of a request message from the HTTP request: the body (<c>*</c>: the whole message; a field: that
/// field), then the path variables, then — unless the body is the whole message — the query parameters.
/// </summary>
/// <remarks>
/// As in <c>google.api.http</c>: path variables win over the body; a query parameter names a field path (proto or json
/// names, <c>?book.author=x</c>), a repeated field takes every value (<c>?tags=a&amp;tags=b</c>), and parameters that name
/// no field, or the body field, are ignored (the gateway's own, such as <c>serviceName</c>, reach no message).
/// </remarks>
internal static class TranscodingRequestBinder
{
    public static JsonObject Bind(TranscodingRoute route, JsonNode? body, string[] pathValues, IQueryCollection query)
    {
        var input = route.Method.InputType;
        JsonObject root;
        if (route.Body == "*")
        {
            root = body switch
            {
                null => new JsonObject(),
                JsonObject obj => obj,
                _ => throw ProtoJsonCodec.Mismatch("the body", "a JSON object", body),
            };
        }
        else
        {
            root = new JsonObject();
            if (route.BodyField is { } field && body is not null)
            {
                root[field.JsonName] = body;
            }
        }

        var bound = new HashSet<FieldDescriptor>();
        for (var v = 0; v < route.Variables.Length; v++)
        {
            var chain = route.Variables[v];
            Set(root, chain, FromText(chain[^1], pathValues[v], chain[^1].Name), replace: true);
            bound.Add(chain[0]);
        }

        if (route.Body == "*")
        {
            return root;
        }

        foreach (var (name, values) in query)
        {
            if (ResolveQuery(input, name) is not { } chain || chain[0] == route.BodyField || (chain.Length == 1 && bound.Contains(chain[0])))
            {
                continue;
            }

            var last = chain[^1];
            JsonNode? value;
            if (last.IsRepeated)
            {
                var array = new JsonArray();
                foreach (var text in values)
                {
                    array.Add(FromText(last, text ?? "", name));
                }

                value = array;
            }
            else
            {
                value = FromText(last, values[^1] ?? "", name);
            }

            Set(root, chain, value, replace: false);
        }

        return root;
    }

    /// <summary>A query name as a field path: each part a proto or json name, singular messages down to a value or a repeated value.</summary>
    private static FieldDescriptor[]? ResolveQuery(MessageDescriptor type, string name)
    {
        var parts = name.Split('.');
        var chain = new FieldDescriptor[parts.Length];
        MessageDescriptor? current = type;
        for (var i = 0; i < parts.Length; i++)
        {
            var field = current is null ? null : current.FindFieldByName(parts[i]) ?? FindByJsonName(current, parts[i]);
            if (field is null || field.IsMap || (field.IsRepeated && i < parts.Length - 1))
            {
                return null;
            }

            chain[i] = field;
            current = field.FieldType == FieldType.Message ? field.MessageType : null;
        }

        var last = chain[^1];
        return last.FieldType != FieldType.Message || WellKnown.Of(last.MessageType) != WellKnownKind.None ? chain : null;
    }

    private static FieldDescriptor? FindByJsonName(MessageDescriptor type, string name)
    {
        foreach (var field in type.Fields.InDeclarationOrder())
        {
            if (field.JsonName == name)
            {
                return field;
            }
        }

        return null;
    }

    private static void Set(JsonObject root, FieldDescriptor[] chain, JsonNode? value, bool replace)
    {
        var current = root;
        for (var i = 0; i < chain.Length - 1; i++)
        {
            var name = chain[i].JsonName;
            var child = current[name] ?? current[chain[i].Name];
            if (child is not JsonObject obj)
            {
                obj = new JsonObject();
                current.Remove(chain[i].Name);
                current[name] = obj;
            }

            current = obj;
        }

        var last = chain[^1];
        if (!replace && (current.ContainsKey(last.JsonName) || current.ContainsKey(last.Name)))
        {
            return;
        }

        current.Remove(last.Name);
        current[last.JsonName] = value;
    }

    /// <summary>Path and query text as the JSON value the codec expects for the field.</summary>
    private static JsonNode FromText(FieldDescriptor field, string text, string name)
    {
        var type = field.FieldType;
        if (type == FieldType.Message && WellKnown.Of(field.MessageType) == WellKnownKind.Wrapper)
        {
            type = field.MessageType.FindFieldByNumber(1).FieldType;
        }

        switch (type)
        {
            case FieldType.Bool:
                return text switch
                {
                    "true" or "True" or "1" => JsonValue.Create(true),
                    "false" or "False" or "0" => JsonValue.Create(false),
                    _ => throw new FormatException($"{name}: '{text}' is not true or false"),
                };
            case FieldType.Enum when int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number):
                return JsonValue.Create(number);
            default:
                // Numbers, 64-bit integers, bytes (base64), enum names, Timestamp, Duration, FieldMask: their JSON is a string.
                return JsonValue.Create(text);
        }
    }
}
