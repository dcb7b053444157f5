using ClientTools.CommandLine;

namespace ClientTools.Tests;

public sealed class FlagSetTests
{
    [Fact]
    public void Parses_pflag_forms_and_keeps_defaults()
    {
        var flags = new FlagSet("kube-scheduler");
        var kubeconfig = flags.String("kubeconfig", "", "");
        var leaderElect = flags.Bool("leader-elect", true, "");
        var verbose = flags.Int("v", 0, "");
        var period = flags.Duration("leader-elect-retry-period", TimeSpan.FromSeconds(2), "");
        var qps = flags.Float("kube-api-qps", 50, "");
        var list = flags.StringList("controllers", ["*"], "");

        var rest = flags.Parse(["--kubeconfig", "/etc/kubernetes/scheduler.conf", "--leader-elect=false", "-v=4",
            "--leader-elect-retry-period=500ms", "--controllers=a,b", "--controllers", "-c", "positional", "--", "--not-a-flag"]);

        Assert.Equal("/etc/kubernetes/scheduler.conf", kubeconfig.Value);
        Assert.False(leaderElect.Value);
        Assert.True(leaderElect.Changed);
        Assert.Equal(4, verbose.Value);
        Assert.Equal(TimeSpan.FromMilliseconds(500), period.Value);
        Assert.Equal(50, qps.Value);
        Assert.False(qps.Changed);
        Assert.Equal(["a", "b", "-c"], list.Value);
        Assert.Equal(["positional", "--not-a-flag"], rest);
    }

    [Fact]
    public void A_bare_boolean_is_true()
    {
        var flags = new FlagSet("x");
        var enabled = flags.Bool("leader-elect", false, "");
        flags.Parse(["--leader-elect"]);
        Assert.True(enabled.Value);
    }

    [Theory]
    [InlineData("--nope", "unknown flag: --nope")]
    [InlineData("--kubeconfig", "flag needs an argument: --kubeconfig")]
    [InlineData("--leader-elect=maybe", "invalid argument \"maybe\" for \"--leader-elect\" flag")]
    [InlineData("--v=x", "invalid argument \"x\" for \"--v\" flag")]
    public void Mistakes_are_reported_as_cobra_reports_them(string arg, string message)
    {
        var flags = new FlagSet("x");
        flags.String("kubeconfig", "", "");
        flags.Bool("leader-elect", true, "");
        flags.Int("v", 0, "");
        var e = Assert.Throws<FlagException>(() => flags.Parse([arg]));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepted_upstream_flags_are_skipped_with_their_values()
    {
        var flags = new FlagSet("kube-scheduler");
        var kubeconfig = flags.String("kubeconfig", "", "");
        flags.Accept("no delegated authentication", "authentication-kubeconfig", "bind-address");
        flags.Parse(["--authentication-kubeconfig", "/etc/a.conf", "--bind-address=127.0.0.1", "--kubeconfig=/k"]);
        Assert.Equal("/k", kubeconfig.Value);
        Assert.Equal(["authentication-kubeconfig", "bind-address"], flags.IgnoredFlagsSeen);
    }

    [Fact]
    public void Usage_lists_flags_with_defaults()
    {
        var flags = new FlagSet("kube-scheduler");
        flags.Duration("leader-elect-lease-duration", TimeSpan.FromSeconds(15), "The lease.");
        flags.String("leader-elect-resource-name", "kube-scheduler", "The name.");
        var usage = flags.Usage();
        Assert.Contains("--leader-elect-lease-duration duration", usage, StringComparison.Ordinal);
        Assert.Contains("The lease. (default 15s)", usage, StringComparison.Ordinal);
        Assert.Contains("(default \"kube-scheduler\")", usage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("0", 0)]
    [InlineData("-2s", -2000)]
    public void Go_durations_parse(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("5 s")]
    [InlineData("1d")]
    public void Bad_durations_are_refused(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(15_000, "15s")]
    [InlineData(300_000, "5m0s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(1_500, "1.5s")]
    [InlineData(250, "250ms")]
    public void Go_durations_format(double milliseconds, string text) =>
        Assert.Equal(text, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));
}
