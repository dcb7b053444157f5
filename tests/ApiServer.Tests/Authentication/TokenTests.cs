using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ApiServer.Authentication;
using ApiServer.Options;

namespace ApiServer.Tests.Authentication;

public sealed class TokenFileTests
{
    [Theory]
    [InlineData("tok,alice,uid1", new[] { "tok", "alice", "uid1" })]
    [InlineData("tok,alice,uid1,\"ops,dev\"", new[] { "tok", "alice", "uid1", "ops,dev" })]
    [InlineData("tok, bob ,uid2,\"a \"\"quoted\"\" group\"", new[] { "tok", "bob ", "uid2", "a \"quoted\" group" })]
    public void CsvLines_ParseAsGoReadsThem(string line, string[] expected) =>
        Assert.Equal(expected, TokenFileAuthenticator.ParseCsvLine(line));

    [Fact]
    public async Task Token_MapsToItsUserWithGroups()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "secret,tina,uid-tina,\"ops,dev\"\n");
        var authenticator = new TokenFileAuthenticator(path);
        var result = await authenticator.AuthenticateTokenAsync("secret", null, default);
        Assert.Equal("tina", result.User!.Name);
        Assert.Equal(["ops", "dev", "system:authenticated"], result.User.Groups);
        Assert.False((await authenticator.AuthenticateTokenAsync("other", null, default)).HasCredentials);
        File.Delete(path);
    }
}

public sealed class ServiceAccountTokenTests
{
    private sealed class Objects : IObjectGetter
    {
        public Dictionary<(string, string, string), JsonObject> Items { get; } = [];

        public Task<JsonObject?> TryGetAsync(string resource, string ns, string name, CancellationToken cancellationToken) =>
            Task.FromResult(Items.TryGetValue((resource, ns, name), out var o) ? o : null);
    }

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static JsonObject Account(string uid) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "robot", ["namespace"] = "team", ["uid"] = uid },
    };

    private static (ServiceAccountTokens Tokens, Objects Objects, Clock Clock) Create()
    {
        var key = Path.GetTempFileName();
        using (var rsa = RSA.Create(2048))
        {
            File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
        }

        var options = new AuthenticationOptions { ServiceAccountSigningKeyFile = key };
        options.ServiceAccountIssuers.Add("https://issuer.test");
        var objects = new Objects();
        objects.Items[("serviceaccounts", "team", "robot")] = Account("uid-1");
        var clock = new Clock();
        return (new ServiceAccountTokens(options, objects, clock), objects, clock);
    }

    [Fact]
    public async Task IssuedToken_AuthenticatesAsTheServiceAccount()
    {
        var (tokens, _, _) = Create();
        var (token, _) = tokens.Issue(Account("uid-1"), ["https://issuer.test"], 3600, null, null, null);
        var result = await tokens.AuthenticateTokenAsync(token, null, default);
        Assert.Equal("system:serviceaccount:team:robot", result.User!.Name);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"], result.User.Groups);
        Assert.Equal("uid-1", result.User.Uid);
    }

    [Fact]
    public async Task TamperedExpiredWrongAudienceOrRecreatedAccount_AreRefused()
    {
        var (tokens, objects, clock) = Create();
        var (token, _) = tokens.Issue(Account("uid-1"), ["https://issuer.test"], 3600, null, null, null);

        var parts = token.Split('.');
        var claims = JsonNode.Parse(JwtKey.FromBase64Url(parts[1])!)!.AsObject();
        claims["sub"] = "system:serviceaccount:kube-system:admin";
        var tampered = parts[0] + "." + JwtKey.Base64Url(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString())) + "." + parts[2];
        Assert.Contains("cryptographic", (await tokens.AuthenticateTokenAsync(tampered, null, default)).Error);

        Assert.Contains("is invalid for the target audiences", (await tokens.AuthenticateTokenAsync(token, ["other"], default)).Error);

        objects.Items[("serviceaccounts", "team", "robot")] = Account("uid-2");
        Assert.Contains("does not match claim", (await tokens.AuthenticateTokenAsync(token, null, default)).Error);

        objects.Items[("serviceaccounts", "team", "robot")] = Account("uid-1");
        clock.Now = clock.Now.AddHours(2);
        Assert.Contains("expired", (await tokens.AuthenticateTokenAsync(token, null, default)).Error);
    }

    [Fact]
    public async Task TokensOfOtherIssuers_AreNotOurs()
    {
        var (tokens, _, _) = Create();
        Assert.False((await tokens.AuthenticateTokenAsync("a.b.c", null, default)).HasCredentials);
        Assert.False((await tokens.AuthenticateTokenAsync("not-a-jwt", null, default)).HasCredentials);
    }
}
