using System.Text;
using k8s.Models;
using NodeSimulator.Kubelet.Streaming;

namespace NodeSimulator.Tests;

/// <summary>What `kubectl exec` into a simulated container answers: the small shell, its stdin and a terminal's echo.</summary>
public sealed class SimulatedShellTests
{
    private static readonly V1Pod Pod = new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "u1" },
        Spec = new V1PodSpec { Containers = [Container] },
        Status = new V1PodStatus { PodIP = "10.244.1.5" },
    };

    private static V1Container Container => new()
    {
        Name = "web",
        Image = "nginx",
        Env = [new V1EnvVar { Name = "GREETING", Value = "hello" }, new V1EnvVar { Name = "POD_IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } }],
    };

    private static async Task<(ExecResult Result, string Out, string Err)> Exec(string[] command, string? stdin = null)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var io = new ProcessIo(stdin is null ? null : InputReader.FromText(stdin),
            s => { stdout.Append(s); return Task.CompletedTask; }, s => { stderr.Append(s); return Task.CompletedTask; }, default);
        var result = await new SimulatedShell(Pod, Container, () => new DateTime(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc)).ExecAsync(command, io);
        return (result, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "echo", "a", "b" }, "a b\n")]
    [InlineData(new[] { "echo", "-n", "x" }, "x")]
    [InlineData(new[] { "hostname" }, "web\n")]
    [InlineData(new[] { "printenv", "GREETING" }, "hello\n")]
    [InlineData(new[] { "printenv", "POD_IP" }, "10.244.1.5\n")]
    [InlineData(new[] { "cat", "/etc/hostname" }, "web\n")]
    [InlineData(new[] { "sh", "-c", "echo \"$GREETING, ${HOSTNAME}\"; echo 'single $GREETING'" }, "hello, web\nsingle $GREETING\n")]
    [InlineData(new[] { "bash", "-c", "false && echo no || echo yes" }, "yes\n")]
    [InlineData(new[] { "sh", "-c", "printenv | grep GREET" }, "GREETING=hello\n")]
    [InlineData(new[] { "sh", "-c", "true; echo $?; false; echo $?" }, "0\n1\n")]
    public async Task Commands_PrintWhatTheContainerWould(string[] command, string expected)
    {
        var (result, stdout, stderr) = await Exec(command);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", stderr);
        Assert.Equal(expected, stdout);
    }

    [Fact]
    public async Task ExitCodes_NotFound_AndUnknownPrograms()
    {
        Assert.Equal(3, (await Exec(["sh", "-c", "echo x; exit 3; echo never"])).Result.ExitCode);
        var notFound = await Exec(["sh", "-c", "nosuch arg"]);
        Assert.Equal((127, "sh: nosuch: not found\n"), (notFound.Result.ExitCode, notFound.Err));
        var unknown = await Exec(["nosuch"]);
        Assert.Contains("executable file not found in $PATH", unknown.Result.StartError);
        Assert.Equal(1, (await Exec(["cat", "/nope"])).Result.ExitCode);
        Assert.Equal(2, (await Exec(["sh", "-c", "echo 'open"])).Result.ExitCode);
    }

    [Fact]
    public async Task Stdin_ReachesCatGrepWc_AndAnInteractiveShell()
    {
        Assert.Equal("a\nb\n", (await Exec(["cat"], "a\nb\n")).Out);
        Assert.Equal("2\n", (await Exec(["wc", "-l"], "a\nb\n")).Out);
        var shell = await Exec(["sh"], "echo one\nexit 5\necho never\n");
        Assert.Equal((5, "one\n"), (shell.Result.ExitCode, shell.Out));
    }

    [Fact]
    public async Task ATerminal_EchoesTyping_ErasesOnBackspace_AndEndsOnCtrlD()
    {
        var echoed = new StringBuilder();
        var input = new InputReader(s => { echoed.Append(s); return Task.CompletedTask; });
        input.Write("ecoo\u007f\u007fho hi\r"u8);
        Assert.Equal("echo hi\n", await input.ReadAsync(default));
        Assert.Equal("ecoo\b \b\b \bho hi\r\n", echoed.ToString());
        input.Write("\u0003"u8);
        Assert.Equal(InputReader.Interrupt, await input.ReadAsync(default));
        input.Write("\u0004"u8);
        Assert.Null(await input.ReadAsync(default));
    }

    [Fact]
    public void APortAnswersHttpWithAPage_AndEchoesAnythingElse()
    {
        var http = new SimulatedPortServer(Pod, 80);
        Assert.Empty(http.Receive("GET /x HTTP/1.1\r\nHost: a\r\n"u8));
        var answer = Encoding.ASCII.GetString(Assert.Single(http.Receive("\r\n"u8)));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("Hello from default/web (simulated container web, image nginx) on port 80: GET /x\n", answer, StringComparison.Ordinal);

        var echo = new SimulatedPortServer(Pod, 6379);
        Assert.Equal("PING\r\n"u8.ToArray(), Assert.Single(echo.Receive("PING\r\n"u8)));
    }
}
