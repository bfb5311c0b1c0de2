using System.Text.Json;
using Gatehouse.Gateway.Forwarding.Rpc;
using Gatehouse.Tars.Json;
using Gatehouse.Tars.Schema;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Gateway.Forwarding.Tars;

/// <summary>Binds a request (JSON body, path values, query) to the named arguments of a TUP call and encodes them.</summary>
/// <remarks>
/// A JSON object body gives each parameter the field of its name; a JSON array body is positional (over the
/// parameters that are not <c>out</c>); any other JSON value is the single parameter of a one-parameter function. A
/// parameter not in the body takes its path value, else its query value, else its type's default.
/// </remarks>
internal static class TarsArgumentBinder
{
    /// <summary>The TUP buffer of the arguments; a <see cref="FormatException"/> says what does not fit (answered 400).</summary>
    public static byte[] Bind(TarsApiModel model, JsonElement? body, HttpRequest request, PathString path)
    {
        var inputs = model.Inputs;
        var function = model.Schema!;
        var arguments = new JsonElement?[function.Parameters.Count];
        var documents = new List<JsonDocument>();
        try
        {
            if (body is { ValueKind: JsonValueKind.Array } array)
            {
                var count = array.GetArrayLength();
                if (count != inputs.Length)
                {
                    throw new FormatException($"{model.Function} takes {inputs.Length} argument(s); the JSON array has {count}");
                }

                var next = 0;
                foreach (var item in array.EnumerateArray())
                {
                    arguments[IndexOf(function, inputs[next++])] = item;
                }
            }
            else if (body is { ValueKind: not JsonValueKind.Object } scalar)
            {
                if (inputs.Length != 1)
                {
                    throw new FormatException($"{model.Function} takes {inputs.Length} argument(s): send a JSON object or array");
                }

                arguments[IndexOf(function, inputs[0])] = scalar;
            }
            else
            {
                if (body is { } obj)
                {
                    foreach (var property in obj.EnumerateObject())
                    {
                        if (!IsInput(inputs, property.Name))
                        {
                            throw new FormatException($"{model.Function} has no parameter '{property.Name}'");
                        }
                    }
                }

                for (var i = 0; i < function.Parameters.Count; i++)
                {
                    var parameter = function.Parameters[i];
                    if (parameter.Out)
                    {
                        continue;
                    }

                    if (body is { } named && named.TryGetProperty(parameter.Name, out var field))
                    {
                        arguments[i] = field;
                    }
                    else if ((RpcRequestValues.PathValue(model.PathSegments, path, parameter.Name)
                              ?? RpcRequestValues.QueryValue(request, parameter.Name)) is { } text)
                    {
                        var document = RpcRequestValues.TextAsJson(text, parameter.Type.Kind == TarsTypeKind.String);
                        documents.Add(document);
                        arguments[i] = document.RootElement;
                    }
                }
            }

            return TarsTupJson.EncodeArguments(function, arguments);
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }

    private static bool IsInput(TarsParameter[] inputs, string name)
    {
        foreach (var input in inputs)
        {
            if (input.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    private static int IndexOf(TarsFunction function, TarsParameter parameter)
    {
        for (var i = 0; i < function.Parameters.Count; i++)
        {
            if (ReferenceEquals(function.Parameters[i], parameter))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{parameter.Name} is not a parameter of {function.Name}");
    }
}
