using System.IO.Compression;
using System.Net.Http.Headers;

namespace Gatehouse.Admin.Tests.Infrastructure;

/// <summary>Plugin packages for upload tests: the test plugins built into <c>test-plugins/</c>, zipped, or hand-made zips.</summary>
internal static class PluginZips
{
    /// <summary>The zip of test plugin folder <paramref name="folder"/> (e.g. <c>stamp-v1</c>), its files at the zip's root.</summary>
    public static byte[] Of(string folder)
    {
        using var buffer = new MemoryStream();
        ZipFile.CreateFromDirectory(Path.Combine(AppContext.BaseDirectory, "test-plugins", folder), buffer);
        return buffer.ToArray();
    }

    /// <summary>The upload body: <paramref name="zip"/> as <c>application/zip</c>.</summary>
    public static ByteArrayContent Content(byte[] zip)
    {
        var content = new ByteArrayContent(zip);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }
}
