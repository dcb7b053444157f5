using System.Net;
using ApiServer.Options;

namespace ApiServer.Tests.Options;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_KubeApiServerDefaults_WhenNoFlags()
    {
        var options = CommandLine.Parse([]);
        Assert.Equal(6443, options.SecureServing.SecurePort);
        Assert.Equal("/registry", options.Etcd.Prefix);
        Assert.Equal(IPAddress.Any, options.SecureServing.BindAddress);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Etcd.CompactionInterval);
        Assert.True(options.Authentication.AnonymousAuth);
    }

    [Fact]
    public void Parse_EqualsAndSpaceSeparatedValues()
    {
        var options = CommandLine.Parse(["--etcd-servers=https://a:2379,https://b:2379", "--secure-port", "7443", "--etcd-prefix=/custom/", "--bind-address=127.0.0.1"]);
        Assert.Equal(["https://a:2379", "https://b:2379"], options.Etcd.Servers);
        Assert.Equal(7443, options.SecureServing.SecurePort);
        Assert.Equal("/custom", options.Etcd.Prefix);
        Assert.Equal(IPAddress.Loopback, options.SecureServing.BindAddress);
    }

    [Theory]
    [InlineData("--anonymous-auth", true)]
    [InlineData("--anonymous-auth=false", false)]
    [InlineData("--anonymous-auth=F", false)]
    [InlineData("--anonymous-auth=1", true)]
    public void Parse_BooleanFlags_LikeStrconvParseBool(string flag, bool expected) =>
        Assert.Equal(expected, CommandLine.Parse([flag]).Authentication.AnonymousAuth);

    [Fact]
    public void Parse_KnownButUnsupportedFlags_AreRecordedNotRejected()
    {
        var options = CommandLine.Parse(["--allow-privileged=true", "--service-node-port-range", "30000-32767", "--authorization-mode=Node,RBAC", "-v=2"]);
        Assert.Contains("allow-privileged", options.IgnoredFlags);
        Assert.Contains("service-node-port-range", options.IgnoredFlags);
        Assert.DoesNotContain("authorization-mode", options.IgnoredFlags);
        Assert.Equal(["Node", "RBAC"], options.Authorization.Modes);
    }

    [Fact]
    public void Parse_ServiceClusterIPRange_ActedOnAndValidated()
    {
        var options = CommandLine.Parse(["--service-cluster-ip-range", "10.96.0.0/12,fd00:10:96::/112"]);
        Assert.DoesNotContain("service-cluster-ip-range", options.IgnoredFlags);
        Assert.Equal(["10.96.0.0/12", "fd00:10:96::/112"], options.ServiceIPRanges.Select(r => r.Cidr));
        Assert.Equal("10.96.0.1", options.ServiceIPRanges[0].FirstAddress);
        Assert.Equal("10.0.0.0/24", Assert.Single(CommandLine.Parse([]).ServiceIPRanges).Cidr);

        Assert.Contains(CommandLine.Parse(["--service-cluster-ip-range=10.0.0.0/8"]).Validate(), e => e.Contains("too large", StringComparison.Ordinal));
        Assert.Contains(CommandLine.Parse(["--service-cluster-ip-range=10.0.0.0/24,10.1.0.0/24"]).Validate(), e => e.Contains("different IP families", StringComparison.Ordinal));
        Assert.Contains(CommandLine.Parse(["--service-cluster-ip-range=nope"]).Validate(), e => e.Contains("not a CIDR", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UnderscoresAreWordSeparators_AsKubeApiServerNormalizes() =>
        Assert.Equal(["http://e:2379"], CommandLine.Parse(["--etcd_servers=http://e:2379"]).Etcd.Servers);

    [Fact]
    public void Parse_UnknownFlag_FailsWithItsName()
    {
        var error = Assert.Throws<CommandLineException>(() => CommandLine.Parse(["--no-such-flag=1"]));
        Assert.Contains("unknown flag: --no-such-flag", error.Message);
    }

    [Theory]
    [InlineData("--secure-port=abc", "invalid argument \"abc\" for \"--secure-port\" flag")]
    [InlineData("--bind-address=not-an-ip", "failed to parse IP")]
    [InlineData("--etcd-compaction-interval=5parsecs", "invalid duration")]
    [InlineData("--secure-port", "flag needs an argument: --secure-port")]
    [InlineData("positional", "unexpected argument")]
    public void Parse_BadValues_ExplainTheProblem(string arg, string message) =>
        Assert.Contains(message, Assert.Throws<CommandLineException>(() => CommandLine.Parse([arg])).Message);

    [Fact]
    public void Validate_ReportsEveryProblemAtOnce()
    {
        var problems = CommandLine.Parse(["--secure-port=0", "--etcd-prefix=registry", "--etcd-certfile=/x"]).Validate();
        Assert.Contains(problems, p => p.Contains("--etcd-servers must be specified", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--etcd-prefix must start with '/'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--etcd-certfile and --etcd-keyfile", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--secure-port 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--tls-cert-file", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new string[0], "application/json")]
    [InlineData(new[] { "--storage-media-type=application/vnd.kubernetes.protobuf" }, "application/vnd.kubernetes.protobuf")]
    public void Parse_StorageMediaType(string[] args, string expected)
    {
        var options = CommandLine.Parse(args);
        Assert.Equal(expected, options.Etcd.StorageMediaType);
        Assert.DoesNotContain(options.Validate(), p => p.Contains("--storage-media-type", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_StorageMediaTypeThisServerCannotWrite() =>
        Assert.Contains(
            CommandLine.Parse(["--storage-media-type=application/yaml"]).Validate(),
            p => p.Contains("--storage-media-type \"application/yaml\" is not supported", StringComparison.Ordinal));

    [Theory]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("10s", 10)]
    [InlineData("1.5s", 1.5)]
    [InlineData("0", 0)]
    public void GoDuration_ParsesGoSyntax(string text, double seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds, 3);
    }
}
