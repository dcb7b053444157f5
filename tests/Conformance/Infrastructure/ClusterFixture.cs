using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using TestSupport;

namespace Conformance.Infrastructure;

/// <summary>
/// One real cluster for the conformance tests: etcd over mutual TLS with a temp data dir, and the
/// real server (a separate process started with kube-apiserver flags) on free loopback ports, an
/// admin kubeconfig with a client certificate (CN=kubernetes-admin, O=system:masters), and
/// helpers that drive kubectl, curl and etcdctl against it. Tests share it and keep to their
/// own namespaces.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string EtcdPrefix = "/registry";

    private readonly string[] _extraFlags;
    private HttpClient? _http;

    /// <summary>
    /// The shared cluster. Its configmaps keep a fixed window of <see cref="ConfigMapWatchWindow"/>
    /// events, so a test can push a resourceVersion out of the watch cache and see a 410 the way an
    /// informer does after a long disconnect (the default window keeps 75 s of events).
    /// </summary>
    public ClusterFixture()
        : this($"--watch-cache-sizes=configmaps#{ConfigMapWatchWindow}")
    {
    }

    public const int ConfigMapWatchWindow = 20;

    /// <summary>
    /// A cluster whose server gets <paramref name="extraFlags"/> besides the usual ones. Internal:
    /// xunit requires a collection fixture to have one public constructor.
    /// </summary>
    internal ClusterFixture(params string[] extraFlags) => _extraFlags = extraFlags;

    /// <summary>Environment variables for the server process (settings that are not kube-apiserver flags).</summary>
    internal Dictionary<string, string> ServerEnvironment { get; init; } = [];

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "conformance-" + Guid.NewGuid().ToString("N")[..8]);

    public TestPki Pki { get; private set; } = null!;

    public EtcdProcess Etcd { get; private set; } = null!;

    public ServerProcess Server { get; private set; } = null!;

    public PemCertificate Admin { get; private set; } = null!;

    public string Kubeconfig { get; private set; } = "";

    /// <summary>An HTTP client presenting the admin certificate and trusting the cluster CA.</summary>
    public HttpClient Http => _http ?? throw new InvalidOperationException("not started");

    public string ServerUrl => Server.Url;

    public const string ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local";

    /// <summary>A --token-auth-file token for user tina (uid-tina) in groups ops and dev.</summary>
    public const string StaticToken = "static-token-4f1c9e";

    public string ServiceAccountKeyPath => Path.Combine(WorkDirectory, "sa.key");

    public string ServiceAccountPublicKeyPath => Path.Combine(WorkDirectory, "sa.pub");

    public string TokenFilePath => Path.Combine(WorkDirectory, "tokens.csv");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        Pki = TestPki.Create(Path.Combine(WorkDirectory, "pki"), "kubernetes-ca");
        var serving = Pki.IssueServerCertificate("apiserver", ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"], [IPAddress.Loopback]);
        Admin = Pki.IssueClientCertificate("admin", "kubernetes-admin", "system:masters");

        Etcd = await EtcdProcess.StartAsync(new EtcdProcessOptions { Tls = true });

        // Service-account tokens are signed with this key pair; static tokens come from a CSV file.
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            await File.WriteAllTextAsync(ServiceAccountKeyPath, rsa.ExportPkcs8PrivateKeyPem());
            await File.WriteAllTextAsync(ServiceAccountPublicKeyPath, rsa.ExportSubjectPublicKeyInfoPem());
        }

        await File.WriteAllTextAsync(TokenFilePath, $"{StaticToken},tina,uid-tina,\"ops,dev\"\n");

        var port = FreePort.Next();
        string[] flags =
        [
            $"--etcd-servers={Etcd.Endpoint}",
            $"--etcd-cafile={Etcd.CaFile}",
            $"--etcd-certfile={Etcd.ClientCertFile}",
            $"--etcd-keyfile={Etcd.ClientKeyFile}",
            $"--etcd-prefix={EtcdPrefix}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            $"--secure-port={port}",
            $"--tls-cert-file={serving.CertificatePath}",
            $"--tls-private-key-file={serving.KeyPath}",
            $"--client-ca-file={Pki.CaCertificatePath}",
            // As kubeadm runs kube-apiserver: Node and RBAC authorization, signed service-account tokens.
            "--authorization-mode=Node,RBAC",
            $"--service-account-issuer={ServiceAccountIssuer}",
            $"--service-account-key-file={ServiceAccountPublicKeyPath}",
            $"--service-account-signing-key-file={ServiceAccountKeyPath}",
            $"--token-auth-file={TokenFilePath}",
            // Flags kube-apiserver has and we do not act on yet are accepted, as in a kubeadm manifest.
            "--allow-privileged=true",
            "--service-cluster-ip-range=10.96.0.0/12",
            .. _extraFlags,
        ];
        Server = new ServerProcess(Path.Combine(WorkDirectory, "server"), flags, port, ServerEnvironment);
        _http = CreateHttpClient(Admin);
        await Server.StartAsync(CreateHttpClient(null), TimeSpan.FromSeconds(60));

        Kubeconfig = Path.Combine(WorkDirectory, "admin.kubeconfig");
        await File.WriteAllTextAsync(Kubeconfig, KubeconfigFor(Admin));
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Etcd is not null)
        {
            await Etcd.DisposeAsync();
        }

        Pki?.Dispose();
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>An HTTP client for the server; with a certificate, authenticated as its subject.</summary>
    /// <param name="headerEncoding">how to write and read non-ASCII header bytes (HttpClient's default refuses them), as Go's clients send them.</param>
    public HttpClient CreateHttpClient(PemCertificate? clientCertificate, Version? version = null, Encoding? headerEncoding = null)
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Pki.CaCertificatePath));
        var handler = new SocketsHttpHandler
        {
            RequestHeaderEncodingSelector = headerEncoding is null ? null : (_, _) => headerEncoding,
            ResponseHeaderEncodingSelector = headerEncoding is null ? null : (_, _) => headerEncoding,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(certificate));
                },
            },
        };
        if (clientCertificate is not null)
        {
            var pem = X509Certificate2.CreateFromPemFile(clientCertificate.CertificatePath, clientCertificate.KeyPath);
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        return new HttpClient(handler)
        {
            BaseAddress = new Uri(ServerUrl),
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public string KubeconfigFor(PemCertificate user) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: conformance
          cluster:
            server: {ServerUrl}
            certificate-authority: {Pki.CaCertificatePath}
        users:
        - name: user
          user:
            client-certificate: {user.CertificatePath}
            client-key: {user.KeyPath}
        contexts:
        - name: conformance
          context:
            cluster: conformance
            user: user
        current-context: conformance
        """;

    /// <summary>Runs kubectl with the admin kubeconfig and a fresh discovery cache per fixture.</summary>
    public Task<ProcessResult> KubectlAsync(params string[] args) => KubectlWithInputAsync(null, args);

    public Task<ProcessResult> KubectlWithInputAsync(string? stdin, params string[] args)
    {
        var all = new List<string> { "--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(WorkDirectory, "kube-cache") };
        all.AddRange(args);
        return ProcessRunner.RunAsync("kubectl", all, stdin: stdin, timeout: TimeSpan.FromSeconds(90));
    }

    /// <summary>Starts kubectl and returns while it runs (kubectl get -w).</summary>
    public RunningProcess StartKubectl(params string[] args) =>
        new("kubectl", new[] { "--kubeconfig", Kubeconfig, "--cache-dir", Path.Combine(WorkDirectory, "kube-cache") }.Concat(args));

    /// <summary>kubectl that must succeed; returns its standard output.</summary>
    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var result = await KubectlAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed:\n{result}\n--- server log tail\n{Tail(Server.Log)}");
        return result.StdOut;
    }

    /// <summary>curl with the given client certificate (or none) and the cluster CA; -w appends the HTTP code.</summary>
    public Task<ProcessResult> CurlAsync(PemCertificate? user, params string[] args)
    {
        var all = new List<string> { "-sS", "--cacert", Pki.CaCertificatePath };
        if (user is not null)
        {
            all.AddRange(["--cert", user.CertificatePath, "--key", user.KeyPath]);
        }

        all.AddRange(args);
        return ProcessRunner.RunAsync("curl", all);
    }

    public string Etcdctl(params string[] args) => Etcd.Etcdctl(args);

    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return (JsonObject)JsonNode.Parse(body)!;
    }

    /// <summary>A unique namespace, created, for one test.</summary>
    public async Task<string> CreateNamespaceAsync(string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";
        using var response = await Http.PostAsync("/api/v1/namespaces", Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}"""));
        Assert.True(response.IsSuccessStatusCode, $"creating namespace {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    public static string Tail(string text, int lines = 40) =>
        string.Join('\n', text.Split('\n').TakeLast(lines));

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
