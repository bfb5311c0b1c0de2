namespace Gatehouse.Admin.Storage;

/// <summary>
/// One uploaded version of a plugin package (table <c>plugin_packages</c>): the zip as uploaded, keyed by name and sha256.
/// Rows never change; a new upload of the same name is a new row, and config versions pin the row they were written with.
/// </summary>
internal sealed class PluginPackageEntity
{
    public string Name { get; set; } = "";

    /// <summary>SHA-256 of <see cref="Content"/>, lower-case hex.</summary>
    public string Sha256 { get; set; } = "";

    public long Size { get; set; }

    /// <summary>The filter names its factories provide, as a JSON array of strings.</summary>
    public string FactoriesJson { get; set; } = "[]";

    /// <summary>The plugin assembly's full name, for operators.</summary>
    public string Assembly { get; set; } = "";

    public byte[] Content { get; set; } = [];

    public DateTimeOffset UploadedAt { get; set; }

    public string UploadedBy { get; set; } = "";
}
