using Storage.Etcd;

namespace Storage.Tests.Etcd;

public sealed class EtcdKeysTests
{
    [Theory]
    [InlineData("/registry/pods/", "/registry/pods0")]
    [InlineData("a\u00ff", "b")]
    public void PrefixEnd_IncrementsLastByteBelowFf(string prefix, string expected)
    {
        var bytes = prefix.Select(c => (byte)c).ToArray();

        var end = EtcdKeys.PrefixEnd(bytes);

        Assert.Equal(expected.Select(c => (byte)c).ToArray(), end.ToByteArray());
    }

    [Fact]
    public void PrefixEnd_AllFf_IsZeroByteMeaningEndOfKeyspace()
    {
        Assert.Equal([0], EtcdKeys.PrefixEnd([0xff, 0xff]).ToByteArray());
    }
}
