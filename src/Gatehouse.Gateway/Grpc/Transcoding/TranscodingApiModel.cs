using Gatehouse.Core.Config;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Grpc.Transcoding;

/// <summary>
/// The compiled <c>grpcTranscoding</c> block of an API: the descriptor set's routes (its <c>google.api.http</c>
/// annotations and the explicit rules), ordered most specific first, and the codec for its messages.
/// </summary>
internal sealed class TranscodingApiModel
{
    private TranscodingApiModel(TranscodingRoute[] routes, IProtoJsonCodec codec, MessageDescriptor status)
    {
        Routes = routes;
        Codec = codec;
        StatusType = status;
    }

    public TranscodingRoute[] Routes { get; }

    public IProtoJsonCodec Codec { get; }

    /// <summary><c>google.rpc.Status</c>, the message in <c>grpc-status-details-bin</c>.</summary>
    public MessageDescriptor StatusType { get; }

    /// <summary>The route for a request; <paramref name="pathKnown"/> tells a wrong method from an unknown path.</summary>
    public TranscodingRoute? Match(string method, string path, out string[] values, out bool pathKnown)
    {
        pathKnown = false;
        foreach (var route in Routes)
        {
            if (route.Template.TryMatch(path, out values))
            {
                pathKnown = true;
                if (string.Equals(route.HttpMethod, method, StringComparison.OrdinalIgnoreCase))
                {
                    return route;
                }
            }
        }

        values = [];
        return null;
    }

    /// <summary>Compiles the block; problems go to <paramref name="errors"/> (and null is returned).</summary>
    /// <param name="api">An API with <c>protocol: grpcTranscoding</c>.</param>
    /// <param name="entry">The API's entry, e.g. <c>services[library].apis[books]</c>.</param>
    /// <param name="source">The config's source, for the errors.</param>
    /// <param name="errors">Collects problems.</param>
    public static TranscodingApiModel? Compile(ApiConfig api, string entry, string? source, List<ConfigError> errors)
    {
        if (api.Protocol != ApiProtocol.GrpcTranscoding || api.GrpcTranscoding is not { } config)
        {
            return null;
        }

        var block = $"{entry}.grpcTranscoding";
        var start = errors.Count;
        void Fail(string field, string message) => errors.Add(new ConfigError(source, field.Length == 0 ? block : $"{block}.{field}", message));

        var files = Load(config, Fail);
        if (files is null)
        {
            return null;
        }

        var types = new Dictionary<string, MessageDescriptor>(StringComparer.Ordinal);
        var methods = new Dictionary<string, MethodDescriptor>(StringComparer.Ordinal);
        var services = new Dictionary<string, ServiceDescriptor>(StringComparer.Ordinal);
        foreach (var file in files.Concat([Google.Rpc.StatusReflection.Descriptor, Google.Rpc.ErrorDetailsReflection.Descriptor]))
        {
            foreach (var message in file.MessageTypes)
            {
                AddTypes(types, message);
            }

            foreach (var service in file.Services)
            {
                services.TryAdd(service.FullName, service);
                foreach (var method in service.Methods)
                {
                    methods.TryAdd(method.FullName, method);
                }
            }
        }

        var exposed = config.Services is { Count: > 0 } listed ? new HashSet<string>(listed, StringComparer.Ordinal) : null;
        if (exposed is not null)
        {
            for (var i = 0; i < config.Services!.Count; i++)
            {
                if (!services.ContainsKey(config.Services[i]))
                {
                    Fail($"services[{i}]", $"the descriptor set has no service '{config.Services[i]}'");
                }
            }
        }

        var routes = new List<TranscodingRoute>();
        var explicitRules = config.Rules ?? [];
        var overridden = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < explicitRules.Count; i++)
        {
            var rule = explicitRules[i];
            if (!methods.TryGetValue(rule.Selector, out var method))
            {
                Fail($"rules[{i}].selector", $"the descriptor set has no method '{rule.Selector}'");
                continue;
            }

            overridden.Add(method.FullName);
            var (verb, path) = rule.Get is { } g ? ("GET", g) : rule.Put is { } pu ? ("PUT", pu) : rule.Post is { } po ? ("POST", po)
                : rule.Delete is { } d ? ("DELETE", d) : ("PATCH", rule.Patch ?? "");
            AddRoute(routes, method, verb, path, rule.Body, rule.ResponseBody, message => Fail($"rules[{i}]", message));
        }

        foreach (var method in methods.Values)
        {
            if (overridden.Contains(method.FullName) || (exposed is not null && !exposed.Contains(method.Service.FullName))
                || method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not { } http)
            {
                continue;
            }

            // Client and bidirectional streaming have no HTTP/JSON form; their annotations are left out, not refused.
            if (method.IsClientStreaming)
            {
                continue;
            }

            foreach (var binding in new[] { http }.Concat(http.AdditionalBindings))
            {
                var (verb, path) = binding.PatternCase switch
                {
                    HttpRule.PatternOneofCase.Get => ("GET", binding.Get),
                    HttpRule.PatternOneofCase.Put => ("PUT", binding.Put),
                    HttpRule.PatternOneofCase.Post => ("POST", binding.Post),
                    HttpRule.PatternOneofCase.Delete => ("DELETE", binding.Delete),
                    HttpRule.PatternOneofCase.Patch => ("PATCH", binding.Patch),
                    HttpRule.PatternOneofCase.Custom => (binding.Custom.Kind.ToUpperInvariant(), binding.Custom.Path),
                    _ => ("", ""),
                };
                if (verb.Length > 0)
                {
                    AddRoute(routes, method, verb, path, NullIfEmpty(binding.Body), NullIfEmpty(binding.ResponseBody),
                        message => Fail("", $"annotation of {method.FullName}: {message}"));
                }
            }
        }

        for (var i = 0; i < routes.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (routes[i].HttpMethod == routes[j].HttpMethod && routes[i].Template.Text == routes[j].Template.Text)
                {
                    Fail("", $"{routes[i].HttpMethod} {routes[i].Template.Text} is bound to both {routes[j].Method.FullName} and {routes[i].Method.FullName}");
                }
            }
        }

        if (routes.Count == 0 && errors.Count == start)
        {
            Fail("", "no method has a google.api.http annotation or a rule: nothing would be reachable");
        }

        if (errors.Count > start)
        {
            return null;
        }

        // Most specific first, so /v1/shelves/default wins over /v1/shelves/{id}; stable for equals (config order).
        var ordered = routes.Select((route, index) => (route, index)).ToList();
        ordered.Sort((a, b) => a.route.Template.CompareSpecificity(b.route.Template) is var c and not 0 ? c : a.index.CompareTo(b.index));
        var codec = new ProtoJsonCodec(name => types.GetValueOrDefault(name));
        return new TranscodingApiModel([.. ordered.Select(o => o.route)], codec, types["google.rpc.Status"]);
    }

    private static IReadOnlyList<FileDescriptor>? Load(GrpcTranscodingConfig config, Action<string, string> fail)
    {
        var field = config.DescriptorSet is not null ? "descriptorSet" : "descriptorSetBase64";
        byte[] bytes;
        try
        {
            bytes = config.DescriptorSet is { } file ? File.ReadAllBytes(file) : Convert.FromBase64String(config.DescriptorSetBase64 ?? "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            fail(field, $"cannot be read: {e.Message}");
            return null;
        }

        try
        {
            var set = FileDescriptorSet.Parser.ParseFrom(bytes);
            if (set.File.Count == 0)
            {
                fail(field, "is not a FileDescriptorSet with files (protoc --descriptor_set_out=FILE --include_imports)");
                return null;
            }

            var registry = new ExtensionRegistry { AnnotationsExtensions.Http };
            var data = new List<ByteString>(set.File.Count);
            foreach (var proto in set.File)
            {
                data.Add(proto.ToByteString());
            }

            return FileDescriptor.BuildFromByteStrings(data, registry);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or DescriptorValidationException or ArgumentException)
        {
            fail(field, $"is not a usable FileDescriptorSet ({e.Message}); build it with protoc --descriptor_set_out=FILE --include_imports");
            return null;
        }
    }

    private static void AddRoute(List<TranscodingRoute> routes, MethodDescriptor method, string verb, string path, string? body,
        string? responseBody, Action<string> fail)
    {
        if (method.IsClientStreaming)
        {
            fail($"{method.FullName} is client or bidirectional streaming, which HTTP/JSON cannot carry");
            return;
        }

        HttpPathTemplate template;
        try
        {
            template = HttpPathTemplate.Parse(path);
        }
        catch (FormatException e)
        {
            fail(e.Message);
            return;
        }

        var input = method.InputType;
        var variables = new FieldDescriptor[template.Variables.Length][];
        for (var v = 0; v < variables.Length; v++)
        {
            if (ResolvePath(input, template.Variables[v].FieldPath) is not { } chain)
            {
                fail($"path variable '{template.Variables[v].FieldPath}' is not a field path of {input.FullName} ending in a single value");
                return;
            }

            variables[v] = chain;
        }

        FieldDescriptor? bodyField = null;
        if (body is not null and not "*" && (bodyField = input.FindFieldByName(body)) is null)
        {
            fail($"body '{body}' is not a field of {input.FullName}");
            return;
        }

        FieldDescriptor? responseField = null;
        if (responseBody is not null && (responseField = method.OutputType.FindFieldByName(responseBody)) is null)
        {
            fail($"responseBody '{responseBody}' is not a field of {method.OutputType.FullName}");
            return;
        }

        routes.Add(new TranscodingRoute(verb, template, method, variables, body, bodyField, responseField));
    }

    /// <summary>The fields of <c>a.b.c</c>: singular messages down to a singular value (a scalar, an enum or a well-known type).</summary>
    internal static FieldDescriptor[]? ResolvePath(MessageDescriptor type, string path)
    {
        var names = path.Split('.');
        var chain = new FieldDescriptor[names.Length];
        var current = type;
        for (var i = 0; i < names.Length; i++)
        {
            if (current is null || current.FindFieldByName(names[i]) is not { } field || field.IsRepeated)
            {
                return null;
            }

            chain[i] = field;
            current = field.FieldType == FieldType.Message ? field.MessageType : null;
        }

        var last = chain[^1];
        return last.FieldType != FieldType.Message || WellKnown.Of(last.MessageType) != WellKnownKind.None ? chain : null;
    }

    private static void AddTypes(Dictionary<string, MessageDescriptor> types, MessageDescriptor message)
    {
        types.TryAdd(message.FullName, message);
        foreach (var nested in message.NestedTypes)
        {
            AddTypes(types, nested);
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
