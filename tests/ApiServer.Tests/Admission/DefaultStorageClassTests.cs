using System.Text.Json.Nodes;
using Admission;
using Admission.Plugins;
using ApiMachinery.Authentication;

namespace ApiServer.Tests.Admission;

/// <summary>kube-apiserver's DefaultStorageClass admission, with the cases of its admission_test.go as data.</summary>
public sealed class DefaultStorageClassTests
{
    private static JsonObject Class(string name, string created, string? annotation, string value = "true") => JsonNode.Parse($$"""
        {"metadata":{"name":"{{name}}","creationTimestamp":"{{created}}","annotations":{{(annotation is null ? "{}" : $"{{\"{annotation}\":\"{value}\"}}")}}},"provisioner":"p"}
        """)!.AsObject();

    private static async Task<string?> ClassGiven(string claimSpec, params JsonObject[] classes)
    {
        var claim = JsonNode.Parse($$"""{"metadata":{"name":"c","namespace":"ns"},"spec":{{claimSpec}}}""")!.AsObject();
        var plugin = new DefaultStorageClass(new Objects(classes));
        await plugin.AdmitAsync(new AdmissionAttributes
        {
            Operation = AdmissionOperation.Create, Group = "", Version = "v1", Kind = "PersistentVolumeClaim",
            Resource = "persistentvolumeclaims", Namespace = "ns", Name = "c", Object = claim, UserInfo = new UserInfo("u", []),
        }, default);
        return claim["spec"]?["storageClassName"]?.GetValue<string>();
    }

    [Fact]
    public async Task NoDefaultClass_ClaimUnchanged() =>
        Assert.Null(await ClassGiven("{}", Class("plain", "2026-01-01T00:00:00Z", null)));

    [Fact]
    public async Task OneDefault_ClaimWithoutClassGetsIt() =>
        Assert.Equal("fast", await ClassGiven("{}", Class("plain", "2026-01-01T00:00:00Z", null), Class("fast", "2026-01-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation)));

    [Fact]
    public async Task BetaAnnotation_CountsAsDefault() =>
        Assert.Equal("old", await ClassGiven("{}", Class("old", "2026-01-01T00:00:00Z", DefaultStorageClass.BetaDefaultAnnotation)));

    [Fact]
    public async Task AnnotationNotTrue_IsNotDefault() =>
        Assert.Null(await ClassGiven("{}", Class("maybe", "2026-01-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation, "false")));

    [Fact]
    public async Task SeveralDefaults_TheNewestWins() =>
        Assert.Equal("newer", await ClassGiven("{}",
            Class("older", "2026-01-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation),
            Class("newer", "2026-02-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation)));

    [Fact]
    public async Task ClaimNamingAClass_OrTheEmptyClass_KeepsIt()
    {
        Assert.Equal("mine", await ClassGiven("""{"storageClassName":"mine"}""", Class("fast", "2026-01-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation)));
        Assert.Equal("", await ClassGiven("""{"storageClassName":""}""", Class("fast", "2026-01-01T00:00:00Z", DefaultStorageClass.DefaultAnnotation)));
    }

    private sealed class Objects(IReadOnlyList<JsonObject> classes) : IAdmissionObjects
    {
        public ValueTask<JsonObject?> GetAsync(string group, string resource, string ns, string name, CancellationToken cancellationToken) =>
            ValueTask.FromResult(classes.FirstOrDefault(c => c["metadata"]!["name"]!.GetValue<string>() == name));

        public ValueTask<IReadOnlyList<JsonObject>> ListAsync(string group, string resource, string ns, CancellationToken cancellationToken) =>
            ValueTask.FromResult(resource == "storageclasses" ? classes : (IReadOnlyList<JsonObject>)[]);

        public ValueTask<JsonObject?> TryUpdateStatusAsync(string group, string resource, JsonObject obj, CancellationToken cancellationToken) =>
            ValueTask.FromResult<JsonObject?>(null);
    }
}
