using ApiMachinery.Protobuf;

namespace ApiMachinery.Tests.Protobuf;

public sealed class KubeProtobufSchemaTests
{
    [Theory]
    [InlineData("v1", "Pod")]
    [InlineData("v1", "Namespace")]
    [InlineData("v1", "List")]
    [InlineData("v1", "Status")]
    [InlineData("v1", "DeleteOptions")]
    [InlineData("apps/v1", "Deployment")]
    [InlineData("apps/v1", "DeleteOptions")]
    [InlineData("apps/v1", "WatchEvent")]
    [InlineData("batch/v1", "CronJob")]
    [InlineData("autoscaling/v1", "Scale")]
    [InlineData("autoscaling/v2", "HorizontalPodAutoscaler")]
    [InlineData("policy/v1", "Eviction")]
    [InlineData("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")]
    [InlineData("networking.k8s.io/v1", "NetworkPolicy")]
    [InlineData("storage.k8s.io/v1", "StorageClass")]
    [InlineData("coordination.k8s.io/v1", "Lease")]
    [InlineData("discovery.k8s.io/v1", "EndpointSlice")]
    [InlineData("events.k8s.io/v1", "Event")]
    [InlineData("scheduling.k8s.io/v1", "PriorityClass")]
    [InlineData("node.k8s.io/v1", "RuntimeClass")]
    [InlineData("certificates.k8s.io/v1", "CertificateSigningRequest")]
    [InlineData("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")]
    [InlineData("authentication.k8s.io/v1", "TokenRequest")]
    [InlineData("authorization.k8s.io/v1", "SelfSubjectAccessReview")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")]
    [InlineData("resource.k8s.io/v1", "ResourceClaim")]
    [InlineData("meta.k8s.io/v1", "PartialObjectMetadataList")]
    public void Knows_GaKinds(string apiVersion, string kind) => Assert.True(KubeProtobuf.Knows(apiVersion, kind));

    [Theory]
    [InlineData("example.com/v1", "Widget")]
    [InlineData("apps/v1beta1", "Deployment")]
    [InlineData("v1", "Deployment")]
    [InlineData("apiextensions.k8s.io/v1", "CustomResourceDefinition")]
    [InlineData("meta.k8s.io/v1", "Table")]
    public void Knows_OtherKinds_False(string apiVersion, string kind) => Assert.False(KubeProtobuf.Knows(apiVersion, kind));

    /// <summary>Without recursion the decoder's depth is bounded by the schema, whatever a body nests.</summary>
    [Fact]
    public void Messages_DoNotRecurse()
    {
        var state = new Dictionary<ProtoMessage, bool>();
        foreach (var message in KubeProtobufSchema.Messages.Values)
        {
            Visit(message);
        }

        void Visit(ProtoMessage message)
        {
            if (state.TryGetValue(message, out var done))
            {
                Assert.True(done, $"{message.Name} refers back to itself");
                return;
            }

            state[message] = false;
            foreach (var field in message.Fields)
            {
                foreach (var inner in new[] { field.Type.Message, field.Type.Item?.Message })
                {
                    if (inner is not null)
                    {
                        Visit(inner);
                    }
                }
            }

            state[message] = true;
        }
    }

    [Fact]
    public void Fields_AreConsistent()
    {
        foreach (var message in KubeProtobufSchema.Messages.Values)
        {
            var names = message.Fields.Where(f => f.JsonName is not null && !f.IsInline).Select(f => f.JsonName).ToList();
            Assert.True(names.Count == names.Distinct().Count(), $"{message.Name}: repeated JSON names");
            foreach (var field in message.Fields)
            {
                Assert.True(!field.IsInline || field.Type.Kind == ProtoKind.Message, $"{message.Name}: an inline field that is no struct");
                Assert.True(!field.IsMap || field.Key is { Kind: ProtoKind.String }, $"{message.Name}.{field.JsonName}: map keys other than strings");
                Assert.True(field.Number > 0 || field.IsInline, $"{message.Name}.{field.JsonName}: a JSON-only field that is not an embedded TypeMeta");
            }
        }
    }

    [Fact]
    public void ObjectMeta_HasTheGoFacts()
    {
        var meta = KubeProtobufSchema.Messages["meta/v1.ObjectMeta"];
        var creation = meta.Fields.Single(f => f.JsonName == "creationTimestamp");
        var deletionGrace = meta.Fields.Single(f => f.JsonName == "deletionGracePeriodSeconds");
        var labels = meta.Fields.Single(f => f.JsonName == "labels");

        Assert.Equal((8, ProtoKind.Time, false), (creation.Number, creation.Type.Kind, creation.IsPointer));
        Assert.Equal((10, ProtoKind.Int64, true, true), (deletionGrace.Number, deletionGrace.Type.Kind, deletionGrace.IsPointer, deletionGrace.IsOmitEmpty));
        Assert.True(labels.IsMap && labels.Type.Kind == ProtoKind.String);
        Assert.Equal(
            ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
             "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"],
            meta.Fields.Select(f => f.JsonName));
    }

    [Fact]
    public void Source_NamesTheKubernetesRelease() => Assert.Contains("k8s.io/api", KubeProtobufSchema.Source, StringComparison.Ordinal);

    [Theory]
    [InlineData("x\tnotanumber\tn\t-\tstring\n")]
    [InlineData("x\t1\tn\tbogus\tstring\n")]
    [InlineData("x\t1\tn\t-\tcomplex128\n")]
    [InlineData("x\t1\tn\t-\ty.Missing\n")]
    [InlineData("x\t1\tn\n")]
    public void Parse_MalformedRows_Throw(string rows) =>
        Assert.ThrowsAny<Exception>(() => KubeProtobufSchema.Parse(rows));
}
