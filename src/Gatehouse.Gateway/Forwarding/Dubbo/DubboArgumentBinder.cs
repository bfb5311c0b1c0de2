using System.Text.Json;
using Gatehouse.Dubbo.Json;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding.Dubbo;

/// <summary>Binds a request (JSON body, path values, query) to the ordered arguments of a Dubbo method.</summary>
/// <remarks>
/// A JSON array body is positional; a JSON object body gives each named parameter its field, or is the single
/// parameter whole when the method has one and no names are declared; a scalar body is the single parameter. A named
/// parameter not in the body takes its path value, else its query value, else null.
/// </remarks>
internal static class DubboArgumentBinder
{
    /// <summary>The arguments; a <see cref="FormatException"/> says what does not fit (answered 400).</summary>
    public static object?[] Bind(DubboApiModel model, JsonElement? body, HttpRequest request, PathString path)
    {
        var types = model.ParameterTypes;
        var args = new object?[types.Length];
        if (body is { ValueKind: JsonValueKind.Array } array)
        {
            var count = array.GetArrayLength();
            if (count != types.Length)
            {
                throw new FormatException($"{model.Method} takes {types.Length} argument(s); the JSON array has {count}");
            }

            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                args[i] = Convert(item, types[i], i, model);
                i++;
            }

            return args;
        }

        var names = model.ParameterNames;
        if (names is null)
        {
            if (types.Length == 1 && body is { } whole)
            {
                args[0] = Convert(whole, types[0], 0, model);
                return args;
            }

            if (types.Length == 0 && body is null or { ValueKind: JsonValueKind.Object })
            {
                return args;
            }

            throw new FormatException(body is null
                ? $"{model.Method} takes {types.Length} argument(s): send them as a JSON array body"
                : $"{model.Method} takes {types.Length} argument(s): send a JSON array (the API declares no parameterNames)");
        }

        if (body is { ValueKind: not JsonValueKind.Object } scalar)
        {
            if (types.Length != 1)
            {
                throw new FormatException($"{model.Method} takes {types.Length} argument(s): send a JSON array or object");
            }

            args[0] = Convert(scalar, types[0], 0, model);
            return args;
        }

        for (var i = 0; i < names.Length; i++)
        {
            if (body is { } obj && obj.TryGetProperty(names[i], out var field))
            {
                args[i] = Convert(field, types[i], i, model);
            }
            else if ((Rpc.RpcRequestValues.PathValue(model.PathSegments, path, names[i]) ?? Rpc.RpcRequestValues.QueryValue(request, names[i])) is { } text)
            {
                args[i] = FromText(text, types[i], i, model);
            }
            else
            {
                args[i] = Convert(default, types[i], i, model);
            }
        }

        return args;
    }

    private static object? Convert(JsonElement value, string type, int index, DubboApiModel model)
    {
        try
        {
            return DubboJson.ToArgument(value, type);
        }
        catch (FormatException e)
        {
            throw new FormatException($"argument {Describe(model, index)}: {e.Message}", e);
        }
    }

    /// <summary>A path or query value: the text itself for strings, else read as JSON (numbers, booleans, objects), else as a string.</summary>
    private static object? FromText(string text, string type, int index, DubboApiModel model)
    {
        if (type is "java.lang.String" or "java.lang.CharSequence")
        {
            return text;
        }

        using var document = Rpc.RpcRequestValues.TextAsJson(text, isString: false);
        return Convert(document.RootElement, type, index, model);
    }

    private static string Describe(DubboApiModel model, int index)
        => model.ParameterNames is { } names ? $"'{names[index]}' ({model.ParameterTypes[index]})" : $"{index} ({model.ParameterTypes[index]})";
}
