using System.Text.Json.Nodes;

namespace ApiServer.Authorization.Rbac;

/// <summary>
/// The roles and bindings kube-apiserver creates at start (its rbac/bootstrap-roles post-start hook):
/// the user-facing roles (cluster-admin, admin, edit, view and their aggregation sources), the
/// discovery and self-review roles every user gets, and the roles of the control-plane components
/// (scheduler, controller manager, kube-proxy, kubelets). Written from kube-apiserver's documented
/// default roles; the per-controller system:controller:* roles are in <see cref="ControllerRoles"/>.
/// </summary>
internal static class BootstrapPolicy
{
    public const string AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
    public const string AggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
    public const string AggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "update", "patch", "delete", "deletecollection"];
    private static readonly string[] ReadWrite = [.. Read, .. Write];

    /// <summary>A ClusterRole (or Role) to create: rules, labels, and an aggregation selector label when it aggregates.</summary>
    public sealed record RoleSpec(string Name, IReadOnlyList<PolicyRule> Rules, IReadOnlyDictionary<string, string>? Labels = null, string? AggregatesLabel = null, string Namespace = "");

    public sealed record BindingSpec(string Name, string RoleKind, string RoleName, IReadOnlyList<Subject> Subjects, string Namespace = "");

    private static PolicyRule R(string[] verbs, string group, params string[] resources) => new(verbs, [group], resources, [], []);

    private static PolicyRule Named(string[] verbs, string group, string resource, params string[] names) => new(verbs, [group], [resource], names, []);

    private static PolicyRule Urls(string[] verbs, params string[] urls) => new(verbs, [], [], [], urls);

    private static Dictionary<string, string> Label(string key) => new() { [key] = "true" };

    private static Subject Group(string name) => new("Group", "rbac.authorization.k8s.io", name, "");

    private static Subject User(string name) => new("User", "rbac.authorization.k8s.io", name, "");

    private static Subject ServiceAccount(string ns, string name) => new("ServiceAccount", "", name, ns);

    public static readonly IReadOnlyList<RoleSpec> ClusterRoles =
    [
        new("cluster-admin", [R(["*"], "*", "*"), Urls(["*"], "*")]),
        new("system:discovery", [Urls(["get"], "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")]),
        new("system:public-info-viewer", [Urls(["get"], "/healthz", "/livez", "/readyz", "/version", "/version/")]),
        new("system:basic-user",
        [
            R(["create"], "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            R(["create"], "authentication.k8s.io", "selfsubjectreviews"),
        ]),
        new("system:monitoring", [Urls(["get"], "/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*")]),
        new("system:service-account-issuer-discovery", [Urls(["get"], "/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/")]),
        new("system:auth-delegator",
        [
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews"),
        ]),

        // The user-facing roles: each is the union of the ClusterRoles labelled to aggregate into it.
        new("admin", [], AggregatesLabel: AggregateToAdmin),
        new("edit", [], Label(AggregateToAdmin), AggregateToEdit),
        new("view", [], Label(AggregateToEdit), AggregateToView),
        new("system:aggregate-to-admin",
        [
            R(["create"], "authorization.k8s.io", "localsubjectaccessreviews"),
            R(ReadWrite, "rbac.authorization.k8s.io", "rolebindings", "roles"),
        ], Label(AggregateToAdmin)),
        new("system:aggregate-to-edit",
        [
            R(["impersonate"], "", "serviceaccounts"),
            R(Write, "", "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
            R(["create"], "", "pods/eviction"),
            R(Write, "", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"),
            R(["create"], "", "serviceaccounts/token"),
            R(Write, "apps", "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
            R(Write, "autoscaling", "horizontalpodautoscalers"),
            R(Write, "batch", "jobs", "cronjobs"),
            R(Write, "extensions", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
            R(Write, "policy", "poddisruptionbudgets"),
            R(Write, "networking.k8s.io", "networkpolicies", "ingresses"),
            R(ReadWrite, "coordination.k8s.io", "leases"),
            R(Read, "", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"),
        ], Label(AggregateToEdit)),
        new("system:aggregate-to-view",
        [
            R(Read, "", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
            R(Read, "", "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
            R(Read, "", "namespaces"),
            R(Read, "discovery.k8s.io", "endpointslices"),
            R(Read, "apps", "controllerrevisions", "statefulsets", "statefulsets/scale", "statefulsets/status", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status"),
            R(Read, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
            R(Read, "batch", "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
            R(Read, "extensions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale", "networkpolicies"),
            R(Read, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
            R(Read, "networking.k8s.io", "ingresses", "ingresses/status", "networkpolicies"),
        ], Label(AggregateToView)),

        // Control-plane components.
        new("system:kube-scheduler",
        [
            R(["create", "patch", "update"], "", "events"),
            R(["create", "patch", "update"], "events.k8s.io", "events"),
            R(["create"], "coordination.k8s.io", "leases"),
            Named(["get", "update"], "coordination.k8s.io", "leases", "kube-scheduler"),
            R(["create"], "", "endpoints"),
            Named(["get", "update"], "", "endpoints", "kube-scheduler"),
            R(Read, "", "nodes"),
            R(["delete", "get", "list", "watch"], "", "pods"),
            R(["create"], "", "bindings", "pods/binding"),
            R(["patch", "update"], "", "pods/status"),
            R(Read, "", "replicationcontrollers", "services"),
            R(Read, "apps", "replicasets", "statefulsets"),
            R(Read, "policy", "poddisruptionbudgets"),
            R(["get", "list", "watch", "update"], "", "persistentvolumeclaims", "persistentvolumes"),
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews"),
            R(Read, "storage.k8s.io", "csinodes", "csidrivers", "csistoragecapacities", "storageclasses", "volumeattachments"),
            R(Read, "", "namespaces"),
            R(Read, "resource.k8s.io", "deviceclasses", "resourceclaims", "resourceslices"),
        ]),
        new("system:volume-scheduler",
        [
            R(["get", "list", "watch", "update", "patch"], "", "persistentvolumes"),
            R(Read, "storage.k8s.io", "storageclasses"),
            R(["get", "list", "watch", "update", "patch"], "", "persistentvolumeclaims"),
        ]),
        new("system:kube-controller-manager",
        [
            R(["create", "patch", "update"], "", "events"),
            R(["create", "patch", "update"], "events.k8s.io", "events"),
            R(["create"], "coordination.k8s.io", "leases"),
            Named(["get", "update"], "coordination.k8s.io", "leases", "kube-controller-manager"),
            R(["create"], "", "endpoints"),
            Named(["get", "update"], "", "endpoints", "kube-controller-manager"),
            R(["create"], "", "secrets", "serviceaccounts"),
            R(["delete"], "", "secrets"),
            R(["get"], "", "configmaps", "namespaces", "secrets", "serviceaccounts"),
            R(["update"], "", "secrets", "serviceaccounts"),
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews"),
            R(["list", "watch"], "*", "*"),
            R(["create"], "", "serviceaccounts/token"),
        ]),
        new("system:node-proxier",
        [
            R(["list", "watch"], "", "services", "endpoints"),
            R(Read, "", "nodes"),
            R(["create", "patch", "update"], "", "events"),
            R(["create", "patch", "update"], "events.k8s.io", "events"),
            R(["list", "watch"], "discovery.k8s.io", "endpointslices"),
        ]),
        new("system:node",
        [
            R(["create"], "authentication.k8s.io", "tokenreviews"),
            R(["create"], "authorization.k8s.io", "subjectaccessreviews", "localsubjectaccessreviews"),
            R(Read, "", "services"),
            R(["create", "get", "list", "watch"], "", "nodes"),
            R(["update", "patch"], "", "nodes/status"),
            R(["update", "patch"], "", "nodes"),
            R(["create", "patch", "update"], "", "events"),
            R(["create", "patch", "update"], "events.k8s.io", "events"),
            R(Read, "", "pods"),
            R(["create", "delete"], "", "pods"),
            R(["update", "patch"], "", "pods/status"),
            R(["create"], "", "pods/eviction"),
            R(["get"], "", "secrets", "configmaps"),
            R(["get"], "", "persistentvolumeclaims", "persistentvolumes"),
            R(["get"], "", "endpoints"),
            R(["create", "get", "list", "watch"], "certificates.k8s.io", "certificatesigningrequests"),
            R(["delete", "get", "update", "patch", "create"], "coordination.k8s.io", "leases"),
            R(["get"], "storage.k8s.io", "volumeattachments"),
            R(["create"], "", "serviceaccounts/token"),
            R(["get", "update", "patch"], "", "persistentvolumeclaims/status"),
            R(Read, "storage.k8s.io", "csidrivers"),
            R(["create", "delete", "get", "patch", "update"], "storage.k8s.io", "csinodes"),
            R(Read, "node.k8s.io", "runtimeclasses"),
        ]),
        new("system:node-bootstrapper", [R(["create", "get", "list", "watch"], "certificates.k8s.io", "certificatesigningrequests")]),
        new("system:kube-dns", [R(["list", "watch"], "", "endpoints", "services")]),
        new("system:heapster",
        [
            R(Read, "", "events", "pods", "nodes", "namespaces"),
            R(Read, "extensions", "deployments"),
        ]),
        new("system:persistent-volume-provisioner",
        [
            R(["get", "list", "watch", "create", "delete"], "", "persistentvolumes"),
            R(["get", "list", "watch", "update"], "", "persistentvolumeclaims"),
            R(Read, "storage.k8s.io", "storageclasses"),
            R(["watch", "create", "update", "patch"], "", "events"),
        ]),
        new("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [R(["create"], "certificates.k8s.io", "certificatesigningrequests/nodeclient")]),
        new("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [R(["create"], "certificates.k8s.io", "certificatesigningrequests/selfnodeclient")]),
        .. ControllerRoles.ClusterRoles,
    ];

    public static readonly IReadOnlyList<BindingSpec> ClusterRoleBindings =
    [
        new("cluster-admin", "ClusterRole", "cluster-admin", [Group("system:masters")]),
        new("system:discovery", "ClusterRole", "system:discovery", [Group("system:authenticated")]),
        new("system:basic-user", "ClusterRole", "system:basic-user", [Group("system:authenticated")]),
        new("system:public-info-viewer", "ClusterRole", "system:public-info-viewer", [Group("system:authenticated"), Group("system:unauthenticated")]),
        new("system:monitoring", "ClusterRole", "system:monitoring", [Group("system:monitoring")]),
        new("system:service-account-issuer-discovery", "ClusterRole", "system:service-account-issuer-discovery", [Group("system:serviceaccounts")]),
        new("system:node-proxier", "ClusterRole", "system:node-proxier", [User("system:kube-proxy")]),
        new("system:kube-controller-manager", "ClusterRole", "system:kube-controller-manager", [User("system:kube-controller-manager")]),
        new("system:kube-dns", "ClusterRole", "system:kube-dns", [ServiceAccount("kube-system", "kube-dns")]),
        new("system:kube-scheduler", "ClusterRole", "system:kube-scheduler", [User("system:kube-scheduler")]),
        new("system:volume-scheduler", "ClusterRole", "system:volume-scheduler", [User("system:kube-scheduler")]),
        // Bound to no one: the Node authorizer grants its rules to kubelets.
        new("system:node", "ClusterRole", "system:node", []),
        .. ControllerRoles.ClusterRoleBindings,
    ];

    public static readonly IReadOnlyList<RoleSpec> Roles =
    [
        new("extension-apiserver-authentication-reader", [Named(["get", "list", "watch"], "", "configmaps", "extension-apiserver-authentication")], Namespace: "kube-system"),
        new("system::leader-locking-kube-controller-manager",
        [
            R(["watch"], "", "configmaps"),
            Named(["get", "update"], "", "configmaps", "kube-controller-manager"),
        ], Namespace: "kube-system"),
        new("system::leader-locking-kube-scheduler",
        [
            R(["watch"], "", "configmaps"),
            Named(["get", "update"], "", "configmaps", "kube-scheduler"),
        ], Namespace: "kube-system"),
    ];

    public static readonly IReadOnlyList<BindingSpec> RoleBindings =
    [
        new("system::extension-apiserver-authentication-reader", "Role", "extension-apiserver-authentication-reader",
            [User("system:kube-controller-manager"), User("system:kube-scheduler")], "kube-system"),
        new("system::leader-locking-kube-controller-manager", "Role", "system::leader-locking-kube-controller-manager",
            [User("system:kube-controller-manager"), ServiceAccount("kube-system", "kube-controller-manager")], "kube-system"),
        new("system::leader-locking-kube-scheduler", "Role", "system::leader-locking-kube-scheduler",
            [User("system:kube-scheduler"), ServiceAccount("kube-system", "kube-scheduler")], "kube-system"),
    ];

    /// <summary>The object to store for a role, with the bootstrapping label and the autoupdate annotation.</summary>
    public static JsonObject ToObject(RoleSpec role)
    {
        var labels = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        foreach (var (key, value) in role.Labels ?? new Dictionary<string, string>())
        {
            labels[key] = value;
        }

        var metadata = new JsonObject
        {
            ["name"] = role.Name,
            ["labels"] = labels,
            ["annotations"] = new JsonObject { [AutoUpdateAnnotation] = "true" },
        };
        if (role.Namespace.Length > 0)
        {
            metadata["namespace"] = role.Namespace;
        }

        var obj = new JsonObject
        {
            ["kind"] = role.Namespace.Length > 0 ? "Role" : "ClusterRole",
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["metadata"] = metadata,
        };
        if (role.AggregatesLabel is { } aggregate)
        {
            obj["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = new JsonObject { [aggregate] = "true" } }),
            };
        }

        obj["rules"] = new JsonArray(role.Rules.Select(r => (JsonNode)r.ToJson()).ToArray());
        return obj;
    }

    public static JsonObject ToObject(BindingSpec binding)
    {
        var metadata = new JsonObject
        {
            ["name"] = binding.Name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { [AutoUpdateAnnotation] = "true" },
        };
        if (binding.Namespace.Length > 0)
        {
            metadata["namespace"] = binding.Namespace;
        }

        var obj = new JsonObject
        {
            ["kind"] = binding.Namespace.Length > 0 ? "RoleBinding" : "ClusterRoleBinding",
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["metadata"] = metadata,
            ["roleRef"] = new JsonObject
            {
                ["apiGroup"] = "rbac.authorization.k8s.io",
                ["kind"] = binding.RoleKind,
                ["name"] = binding.RoleName,
            },
        };
        if (binding.Subjects.Count > 0)
        {
            obj["subjects"] = new JsonArray(binding.Subjects.Select(s =>
            {
                var subject = new JsonObject { ["kind"] = s.Kind };
                if (s.ApiGroup.Length > 0)
                {
                    subject["apiGroup"] = s.ApiGroup;
                }

                subject["name"] = s.Name;
                if (s.Namespace.Length > 0)
                {
                    subject["namespace"] = s.Namespace;
                }

                return (JsonNode)subject;
            }).ToArray());
        }

        return obj;
    }
}
