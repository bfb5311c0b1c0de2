namespace Gatehouse.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>The <c>grpcTranscoding</c> block of an API with <c>protocol: grpcTranscoding</c>.</summary>
    /// <remarks>
    /// What the config alone can tell: the block is present exactly with the protocol; exactly one of
    /// <c>descriptorSet</c> (a file) and <c>descriptorSetBase64</c> (valid base64); service and selector names are dotted
    /// names; each rule has exactly one verb with a path template starting with '/'. The descriptor set itself (that it
    /// parses, that the services and selectors exist, that a template's fields do) is checked when the gateway compiles
    /// the config, as files are (its errors name the same fields).
    /// </remarks>
    private static void ValidateGrpcTranscoding(Errors errors, string entry, ApiConfig api)
    {
        var transcoding = api.Protocol == ApiProtocol.GrpcTranscoding;
        var block = $"{entry}.grpcTranscoding";
        if (!transcoding)
        {
            if (api.GrpcTranscoding is not null)
            {
                errors.Add(block, "applies only to APIs with protocol: grpcTranscoding");
            }

            return;
        }

        if (api.GrpcTranscoding is not { } config)
        {
            errors.Add(block, "is required with protocol: grpcTranscoding (descriptorSet or descriptorSetBase64)");
            return;
        }

        if ((config.DescriptorSet is null) == (config.DescriptorSetBase64 is null))
        {
            errors.Add(block, "needs exactly one of descriptorSet (a file) and descriptorSetBase64 (the bytes)");
        }
        else if (config.DescriptorSet is { } file && string.IsNullOrWhiteSpace(file))
        {
            errors.Add($"{block}.descriptorSet", "must name a file");
        }
        else if (config.DescriptorSetBase64 is { } base64
            && (base64.Length == 0 || !Convert.TryFromBase64String(base64, new byte[base64.Length], out _)))
        {
            errors.Add($"{block}.descriptorSetBase64", "is not base64 (encode the FileDescriptorSet, e.g. base64 -w0 api.pb)");
        }

        var services = config.Services ?? [];
        for (var i = 0; i < services.Count; i++)
        {
            if (!IsProtoName(services[i]))
            {
                errors.Add(ConfigEntries.Index($"{block}.services", i), $"'{services[i]}' is not a fully qualified gRPC service name (e.g. example.library.v1.Library)");
            }
        }

        var rules = config.Rules ?? [];
        for (var i = 0; i < rules.Count; i++)
        {
            var ruleEntry = ConfigEntries.Index($"{block}.rules", i);
            if (rules[i] is not { } rule)
            {
                continue;
            }

            if (!IsProtoName(rule.Selector) || !rule.Selector.Contains('.', StringComparison.Ordinal))
            {
                errors.Add($"{ruleEntry}.selector", $"'{rule.Selector}' is not a method selector (e.g. example.library.v1.Library.GetBook)");
            }

            var verbs = 0;
            foreach (var (verb, template) in new[] { ("get", rule.Get), ("put", rule.Put), ("post", rule.Post), ("delete", rule.Delete), ("patch", rule.Patch) })
            {
                if (template is null)
                {
                    continue;
                }

                verbs++;
                if (!template.StartsWith('/') || template.Count(c => c == '{') != template.Count(c => c == '}'))
                {
                    errors.Add($"{ruleEntry}.{verb}", $"'{template}' is not a path template (e.g. /v1/{{name=shelves/*}}/books/{{book_id}})");
                }
            }

            if (verbs != 1)
            {
                errors.Add(ruleEntry, "needs exactly one of get, put, post, delete and patch (the HTTP method) with its path template");
            }

            if (rule.Body is { } body && body != "*" && !IsProtoName(body))
            {
                errors.Add($"{ruleEntry}.body", $"'{body}' is neither '*' nor a field name");
            }

            if (rule.ResponseBody is { } responseBody && !IsProtoName(responseBody))
            {
                errors.Add($"{ruleEntry}.responseBody", $"'{responseBody}' is not a field name");
            }
        }
    }

    /// <summary>Identifiers (letters, digits, '_', not starting with a digit) separated by dots.</summary>
    private static bool IsProtoName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (var part in name.Split('.'))
        {
            if (part.Length == 0 || char.IsAsciiDigit(part[0]))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
