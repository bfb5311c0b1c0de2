using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Gatehouse.Gateway.Tests.Grpc.Transcoding;

/// <summary>
/// The test proto's types as the gateway sees them: built from the descriptor set protoc wrote (transcode_test.pb next to
/// the test assembly), not from the generated classes, whose messages serve as the reference implementation.
/// </summary>
internal static class TranscodeTestDescriptors
{
    public static string SetPath => Path.Combine(AppContext.BaseDirectory, "transcode_test.pb");

    public static byte[] SetBytes => File.ReadAllBytes(SetPath);

    private static readonly Lazy<IReadOnlyList<FileDescriptor>> Files = new(() =>
    {
        var set = FileDescriptorSet.Parser.ParseFrom(SetBytes);
        return FileDescriptor.BuildFromByteStrings(set.File.Select(f => f.ToByteString()), new ExtensionRegistry { AnnotationsExtensions.Http });
    });

    public static MessageDescriptor Message(string name)
    {
        foreach (var file in Files.Value)
        {
            foreach (var type in file.MessageTypes)
            {
                if (type.FullName == name)
                {
                    return type;
                }
            }
        }

        throw new InvalidOperationException($"no message {name}");
    }
}
