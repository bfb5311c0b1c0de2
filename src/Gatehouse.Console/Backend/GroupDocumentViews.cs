using Gatehouse.Core.Config;

namespace Gatehouse.Console.Backend;

/// <summary>An origin mapping as <c>GET .../origin-mappings</c> lists it, under its generated id.</summary>
public sealed record OriginMappingView(string Id, OriginMappingConfig Mapping);

/// <summary>A service set as <c>GET .../service-sets</c> lists it, under its tag.</summary>
public sealed record ServiceSetView(string Tag, ServiceSetConfig Set);

/// <summary>The group's global policy (null when unset) with the group revision a write quotes.</summary>
public sealed record GlobalPolicyView(long Revision, PolicyConfig? Policy);

/// <summary>An app as the API shows it: never its secret, only whether one is stored.</summary>
/// <remarks><c>Secret</c> is set only in the answer of a create that gave none: the admin generated it.</remarks>
public sealed record AppView(string AppKey, long Revision, IReadOnlyList<string> Permissions, bool Enabled, string? Description,
    string? SecretRef, bool SecretSet, string? Secret = null);

/// <summary>The answer of <c>POST .../apps/{appKey}/rotate-secret</c>: the one time the API shows a secret.</summary>
public sealed record RotatedSecretView(string AppKey, long Revision, string Secret);

/// <summary>A body the API reads as YAML (<c>Content-Type: application/yaml</c>), e.g. the policy editor's text.</summary>
public sealed record YamlBody(string Text);
