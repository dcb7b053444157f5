using ApiMachinery.Validation;

namespace ApiMachinery.Tests.Validation;

/// <summary>k8s.io/apimachinery/pkg/util/validation's value checks, with kube's messages.</summary>
public sealed class ValueValidationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(80)]
    [InlineData(65535)]
    public void IsValidPortNum_InRange_NoErrors(long port) => Assert.Empty(ValueValidation.IsValidPortNum(port));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65536)]
    public void IsValidPortNum_OutOfRange_InclusiveRangeError(long port) =>
        Assert.Equal(["must be between 1 and 65535, inclusive"], ValueValidation.IsValidPortNum(port));

    [Theory]
    [InlineData("http", new string[0])]
    [InlineData("a-b", new string[0])]
    [InlineData("HTTP", new[] { "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)", "must contain at least one letter (a-z)" })]
    [InlineData("123", new[] { "must contain at least one letter (a-z)" })]
    [InlineData("a--b", new[] { "must not contain consecutive hyphens" })]
    [InlineData("-ab", new[] { "must not begin or end with a hyphen" })]
    [InlineData("abcdefghijklmnop", new[] { "must be no more than 15 characters" })]
    public void IsValidPortName_KubesRules(string name, string[] expected) => Assert.Equal(expected, ValueValidation.IsValidPortName(name));

    [Theory]
    [InlineData("key.name")]
    [InlineData("KEY_NAME")]
    [InlineData("key-name")]
    [InlineData(".dotfile")]
    public void IsConfigMapKey_Valid_NoErrors(string key) => Assert.Empty(ValueValidation.IsConfigMapKey(key));

    [Theory]
    [InlineData("bad key!", "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")]
    [InlineData(".", "must not be '.'")]
    [InlineData("..", "must not be '..'")]
    [InlineData("..a", "must not start with '..'")]
    public void IsConfigMapKey_Invalid_KubesMessage(string key, string expected) => Assert.Contains(expected, ValueValidation.IsConfigMapKey(key));

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("2001:db8::ffff", true)]
    [InlineData("010.0.0.1", false)]
    [InlineData("10.0.0", false)]
    [InlineData("10.0.0.256", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("host", false)]
    public void IsValidIP_GoParseIPRules(string ip, bool valid) => Assert.Equal(valid, ValueValidation.IsValidIP(ip).Count == 0);

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/64", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("10.0.0.0/08", false)]
    public void IsValidCIDR_Rules(string cidr, bool valid) => Assert.Equal(valid, ValueValidation.IsValidCIDR(cidr).Count == 0);

    [Theory]
    [InlineData("PATH", true)]
    [InlineData("my.var-1", true)]
    [InlineData("A=B", false)]
    [InlineData("", false)]
    public void IsEnvVarName_RelaxedRules(string name, bool valid) => Assert.Equal(valid, ValueValidation.IsEnvVarName(name).Count == 0);

    [Theory]
    [InlineData("25%", true)]
    [InlineData("25", false)]
    [InlineData("%", false)]
    public void IsValidPercent_Rules(string value, bool valid) => Assert.Equal(valid, ValueValidation.IsValidPercent(value).Count == 0);
}
