using System.Text.Json.Nodes;
using ApiMachinery.Validation;

namespace ApiMachinery.Tests.Validation;

public class ObjectMetaValidatorTests
{
    private static readonly FieldPath Metadata = FieldPath.New("metadata");

    private static JsonObject Meta(string json) => JsonNode.Parse(json)!.AsObject();

    private static List<string> Validate(string json, bool namespaced = true) =>
        ObjectMetaValidator.Validate(Meta(json), namespaced, NameValidation.NameIsDNSSubdomain, Metadata).Select(e => e.ToString()).ToList();

    [Fact]
    public void Validate_ValidNamespacedMeta_NoErrors()
    {
        Assert.Empty(Validate("""
            {"name":"web","namespace":"default","labels":{"app":"web","example.com/tier":"front"},
             "annotations":{"Example.com/Note":"anything at all"},"finalizers":["example.com/cleanup"],
             "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1","controller":true}]}
            """));
    }

    [Fact]
    public void Validate_NoNameNoGenerateName_Required()
    {
        Assert.Equal(["metadata.name: Required value: name or generateName is required"], Validate("""{"namespace":"default"}"""));
    }

    [Fact]
    public void Validate_BadName_InvalidWithValidatorMessage()
    {
        Assert.Equal(
            ["metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            Validate("""{"name":"Foo","namespace":"default"}"""));
    }

    [Fact]
    public void Validate_GenerateNameWithTrailingDash_Accepted()
    {
        Assert.Equal(
            ["metadata.name: Required value: name or generateName is required"],
            Validate("""{"generateName":"web-","namespace":"default"}"""));
        Assert.Empty(Validate("""{"generateName":"web-","name":"web-x7k2p","namespace":"default"}"""));
    }

    [Fact]
    public void Validate_BadGenerateName_Invalid()
    {
        var errors = Validate("""{"generateName":"Web-","name":"web-abcde","namespace":"default"}""");

        Assert.Single(errors);
        Assert.StartsWith("metadata.generateName: Invalid value: \"Web-\": a lowercase RFC 1123 subdomain", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NamespacedWithoutNamespace_Required()
    {
        Assert.Equal(["metadata.namespace: Required value"], Validate("""{"name":"a"}"""));
    }

    [Fact]
    public void Validate_ClusterScopedWithNamespace_Forbidden()
    {
        Assert.Equal(["metadata.namespace: Forbidden: not allowed on this type"], Validate("""{"name":"a","namespace":"default"}""", namespaced: false));
        Assert.Empty(Validate("""{"name":"a"}""", namespaced: false));
    }

    [Fact]
    public void Validate_BadNamespaceName_DnsLabelError()
    {
        Assert.Equal(["metadata.namespace: Invalid value: \"a.b\": must not contain dots"], Validate("""{"name":"a","namespace":"a.b"}"""));
    }

    [Fact]
    public void Validate_BadLabels_KeyAndValueErrors()
    {
        var errors = Validate("""{"name":"a","namespace":"n","labels":{"-bad":"ok","good":"bad value"}}""");

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("metadata.labels: Invalid value: \"-bad\": name part must consist of alphanumeric characters", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AnnotationsOverLimit_TooLong()
    {
        var meta = Meta("""{"name":"a","namespace":"n"}""");
        meta["annotations"] = new JsonObject { ["big"] = new string('x', ObjectMetaValidator.TotalAnnotationSizeLimitBytes) };

        var errors = ObjectMetaValidator.Validate(meta, true, NameValidation.NameIsDNSSubdomain, Metadata);

        Assert.Equal(["metadata.annotations: Too long: may not be more than 262144 bytes"], errors.Select(e => e.ToString()));
        Assert.Equal("FieldValueTooLong", errors[0].CauseType);
    }

    [Fact]
    public void Validate_AnnotationKeyUppercase_AcceptedCaseInsensitively()
    {
        Assert.Empty(Validate("""{"name":"a","namespace":"n","annotations":{"Example.COM/Key":"v"}}"""));
        Assert.Single(Validate("""{"name":"a","namespace":"n","annotations":{"a b":"v"}}"""));
    }

    [Fact]
    public void Validate_OwnerReferenceMissingFields_OneErrorPerField()
    {
        Assert.Equal(
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
            "metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty",
        ], Validate("""{"name":"a","namespace":"n","ownerReferences":[{}]}"""));
    }

    [Fact]
    public void Validate_EventOwner_Disallowed()
    {
        var errors = Validate("""{"name":"a","namespace":"n","ownerReferences":[{"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}]}""");

        Assert.Single(errors);
        Assert.EndsWith(": /v1, Kind=Event is disallowed from being an owner", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoControllers_Invalid()
    {
        var errors = Validate("""
            {"name":"a","namespace":"n","ownerReferences":[
              {"apiVersion":"v1","kind":"A","name":"x","uid":"1","controller":true},
              {"apiVersion":"v1","kind":"B","name":"y","uid":"2","controller":true}]}
            """);

        Assert.Single(errors);
        Assert.EndsWith("Only one reference can have Controller set to true. Found \"true\" in references for A/x and B/y", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConflictingFinalizers_Invalid()
    {
        Assert.Equal(
            ["metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"],
            Validate("""{"name":"a","namespace":"n","finalizers":["orphan","foregroundDeletion"]}"""));
    }

    [Fact]
    public void Validate_NegativeGeneration_Invalid()
    {
        Assert.Equal(["metadata.generation: Invalid value: -1: must be greater than or equal to 0"], Validate("""{"name":"a","namespace":"n","generation":-1}"""));
    }

    [Fact]
    public void Validate_BadManagedFields_OperationAndType()
    {
        Assert.Equal(
        [
            "metadata.managedFields[0].operation: Invalid value: \"Patch\": must be `Apply` or `Update`",
            "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`",
        ], Validate("""{"name":"a","namespace":"n","managedFields":[{"manager":"m","operation":"Patch","fieldsType":"FieldsV2"}]}"""));
    }

    [Fact]
    public void Validate_SingleArgumentNameValidator_MasksGenerateName()
    {
        var meta = Meta("""{"generateName":"web-","name":"web-abcde","namespace":"n"}""");

        var errors = ObjectMetaValidator.Validate(meta, true, NameValidation.IsDNS1123Subdomain, Metadata);

        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_PathSegmentValidator_RejectsSlash()
    {
        var errors = ObjectMetaValidator.Validate(Meta("""{"name":"a/b"}"""), false, NameValidation.ValidatePathSegmentName, Metadata);

        Assert.Equal(["metadata.name: Invalid value: \"a/b\": may not contain '/'"], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void ValidateUpdate_ChangedImmutableFields_AllReported()
    {
        var oldMeta = Meta("""{"name":"a","namespace":"n","uid":"1","resourceVersion":"5","generation":3,"creationTimestamp":"2024-01-01T00:00:00Z"}""");
        var newMeta = Meta("""{"name":"b","namespace":"n","uid":"2","generation":2,"creationTimestamp":"2024-01-02T00:00:00Z"}""");

        var errors = ObjectMetaValidator.ValidateUpdate(newMeta, oldMeta, Metadata).Select(e => e.ToString()).ToList();

        Assert.Equal(
        [
            "metadata.resourceVersion: Invalid value: \"\": must be specified for an update",
            "metadata.generation: Invalid value: 2: must not be decremented",
            "metadata.name: Invalid value: \"b\": field is immutable",
            "metadata.uid: Invalid value: \"2\": field is immutable",
            "metadata.creationTimestamp: Invalid value: 2024-01-02 00:00:00 +0000 UTC: field is immutable",
        ], errors);
    }

    [Fact]
    public void ValidateUpdate_NewFinalizerWhileDeleting_Forbidden()
    {
        var oldMeta = Meta("""{"name":"a","resourceVersion":"5","deletionTimestamp":"2024-01-01T00:00:00Z","finalizers":["x/a"]}""");
        var newMeta = Meta("""{"name":"a","resourceVersion":"5","deletionTimestamp":"2024-01-01T00:00:00Z","finalizers":["x/a","x/b"]}""");

        var errors = ObjectMetaValidator.ValidateUpdate(newMeta, oldMeta, Metadata).Select(e => e.ToString()).ToList();

        Assert.Equal(["metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"x/b\"}"], errors);
    }

    [Fact]
    public void ValidateUpdate_UnchangedMeta_NoErrors()
    {
        var meta = Meta("""{"name":"a","namespace":"n","uid":"1","resourceVersion":"5","creationTimestamp":"2024-01-01T00:00:00Z"}""");

        Assert.Empty(ObjectMetaValidator.ValidateUpdate(meta, meta.DeepClone().AsObject(), Metadata));
    }
}
