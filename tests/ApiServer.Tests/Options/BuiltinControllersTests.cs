using ApiServer.Options;

namespace ApiServer.Tests.Options;

/// <summary>--builtin-controllers: kube-controller-manager's --controllers syntax over the server's three built-in controllers.</summary>
public sealed class BuiltinControllersTests
{
    [Theory]
    [InlineData(null, "namespace,resourcequota,serviceaccount")] // the default: all three
    [InlineData("*", "namespace,resourcequota,serviceaccount")]
    [InlineData("", "")] // an empty value turns them all off
    [InlineData("*,-namespace", "resourcequota,serviceaccount")]
    [InlineData("serviceaccount", "serviceaccount")] // without "*" only those named run
    [InlineData("-namespace,*,namespace", "resourcequota,serviceaccount")] // the first entry naming one decides
    [InlineData("namespace-controller,resourcequota-controller", "namespace,resourcequota")] // kube's long names
    public void Parse_FollowsKubesControllersSyntax(string? value, string expected)
    {
        var options = CommandLine.Parse(value is null ? [] : [$"--builtin-controllers={value}"]);
        Assert.Equal(expected, string.Join(',', options.BuiltinControllers.Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void Parse_RefusesAControllerThatIsNotBuiltIn()
    {
        var e = Assert.Throws<CommandLineException>(() => CommandLine.Parse(["--builtin-controllers=*,-garbagecollector"]));
        Assert.Contains("\"garbagecollector\" is not a built-in controller", e.Message, StringComparison.Ordinal);
    }
}
