using System.Buffers;
using Gatehouse.ZooKeeper.Connection;
using Gatehouse.ZooKeeper.Wire;

namespace Gatehouse.ZooKeeper.Tests.Wire;

/// <summary>The jute encoding on in-memory buffers, byte for byte (no server).</summary>
public sealed class JuteTests
{
    private static byte[] Write(Action<JuteWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new JuteWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Writer_PrimitivesAreBigEndianAndLengthPrefixed()
    {
        var bytes = Write(w =>
        {
            w.WriteInt(0x01020304);
            w.WriteLong(-2);
            w.WriteBool(true);
            w.WriteString("/a");
            w.WriteBuffer([]);
        });

        Assert.Equal(
            [1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 1, 0, 0, 0, 2, (byte)'/', (byte)'a', 0, 0, 0, 0],
            bytes);
    }

    [Fact]
    public void Reader_RoundTripsWriter()
    {
        var bytes = Write(w =>
        {
            w.WriteInt(-101);
            w.WriteLong(long.MaxValue);
            w.WriteBool(false);
            w.WriteString("ünïcode/ß");
            w.WriteStrings(["x", "y"]);
            w.WriteBuffer([9, 8]);
        });

        var reader = new JuteReader(bytes);

        Assert.Equal(-101, reader.ReadInt());
        Assert.Equal(long.MaxValue, reader.ReadLong());
        Assert.False(reader.ReadBool());
        Assert.Equal("ünïcode/ß", reader.ReadString());
        Assert.Equal(["x", "y"], reader.ReadStrings());
        Assert.Equal([9, 8], reader.ReadBuffer());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Reader_NullBufferAndString_ReadAsEmpty()
    {
        var bytes = Write(w =>
        {
            w.WriteInt(-1);
            w.WriteInt(-1);
        });

        var reader = new JuteReader(bytes);

        Assert.Empty(reader.ReadBuffer());
        Assert.Equal("", reader.ReadString());
    }

    [Fact]
    public void Reader_TruncatedRecord_ThrowsProtocolException()
    {
        var bytes = Write(w => w.WriteInt(10)); // a string of 10 bytes announced, none present

        Assert.Throws<ZooKeeperProtocolException>(() =>
        {
            var reader = new JuteReader(bytes);
            reader.ReadString();
        });
    }

    [Fact]
    public void CreateRequest_HasOpenAclAndFlags()
    {
        var bytes = Write(w => Records.WriteCreate(w, "/n", [7], CreateMode.EphemeralSequential));
        var reader = new JuteReader(bytes);

        Assert.Equal("/n", reader.ReadString());
        Assert.Equal([7], reader.ReadBuffer());
        Assert.Equal(1, reader.ReadInt()); // one ACL
        Assert.Equal(0x1f, reader.ReadInt()); // all permissions
        Assert.Equal("world", reader.ReadString());
        Assert.Equal("anyone", reader.ReadString());
        Assert.Equal(3, reader.ReadInt());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void ConnectRequest_LayoutMatchesJute()
    {
        var password = new byte[16];
        password[0] = 42;
        var bytes = Write(w => new ConnectRequest(LastZxidSeen: 5, TimeoutMs: 4000, SessionId: 77, password).Write(w));
        var reader = new JuteReader(bytes);

        Assert.Equal(0, reader.ReadInt()); // protocolVersion
        Assert.Equal(5, reader.ReadLong());
        Assert.Equal(4000, reader.ReadInt());
        Assert.Equal(77, reader.ReadLong());
        Assert.Equal(password, reader.ReadBuffer());
        Assert.False(reader.ReadBool()); // readOnly
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void ConnectResponse_TimeoutZero_IsExpired()
    {
        var bytes = Write(w =>
        {
            w.WriteInt(0);
            w.WriteInt(0);
            w.WriteLong(0);
            w.WriteBuffer(new byte[16]);
            w.WriteBool(false);
        });
        var reader = new JuteReader(bytes);

        Assert.True(ConnectResponse.Read(ref reader).IsExpired);
    }
}

public sealed class WatchRegistryTests
{
    private static readonly Action<WatchedEvent> A = _ => { };
    private static readonly Action<WatchedEvent> B = _ => { };

    [Theory]
    [InlineData(WatchedEventType.NodeDataChanged, true, true, false)]
    [InlineData(WatchedEventType.NodeCreated, true, true, false)]
    [InlineData(WatchedEventType.NodeChildrenChanged, false, false, true)]
    [InlineData(WatchedEventType.NodeDeleted, true, true, true)]
    public void Take_EventType_TriggersTheMatchingTables(WatchedEventType type, bool data, bool exist, bool child)
    {
        var registry = new WatchRegistry();
        var fired = new List<string>();
        registry.Add(WatchKind.Data, "/p", _ => fired.Add("data"));
        registry.Add(WatchKind.Exist, "/p", _ => fired.Add("exist"));
        registry.Add(WatchKind.Child, "/p", _ => fired.Add("child"));

        foreach (var watcher in registry.Take(type, "/p"))
        {
            watcher(new WatchedEvent(type, ZooKeeperState.Connected, "/p"));
        }

        Assert.Equal(data, fired.Contains("data"));
        Assert.Equal(exist, fired.Contains("exist"));
        Assert.Equal(child, fired.Contains("child"));
    }

    [Fact]
    public void Take_IsOneShot_AndDeduplicatesAWatcherAcrossTables()
    {
        var registry = new WatchRegistry();
        registry.Add(WatchKind.Data, "/p", A);
        registry.Add(WatchKind.Exist, "/p", A);
        registry.Add(WatchKind.Data, "/p", B);

        Assert.Equal(2, registry.Take(WatchedEventType.NodeDataChanged, "/p").Count);
        Assert.Empty(registry.Take(WatchedEventType.NodeDataChanged, "/p"));
    }

    [Fact]
    public void Paths_ListsEachTable_TakeAllEmptiesThem()
    {
        var registry = new WatchRegistry();
        registry.Add(WatchKind.Data, "/d", A);
        registry.Add(WatchKind.Exist, "/e", A);
        registry.Add(WatchKind.Child, "/c", A);

        var (data, exist, child) = registry.Paths();

        Assert.Equal(["/d"], data);
        Assert.Equal(["/e"], exist);
        Assert.Equal(["/c"], child);
        Assert.Equal(3, registry.TakeAll().Count);
        Assert.Empty(registry.Paths().Data);
    }
}
