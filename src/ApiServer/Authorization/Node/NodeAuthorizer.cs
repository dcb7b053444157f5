using ApiMachinery.Authentication;
using ApiMachinery.Selectors;
using ApiServer.Authorization.Rbac;

namespace ApiServer.Authorization.Node;

/// <summary>
/// The Node authorization mode, as kube-apiserver 1.35 has it (plugin/pkg/auth/authorizer/node with
/// AuthorizeNodeWithSelectors on): a kubelet — user system:node:&lt;name&gt; in group system:nodes —
/// may read only its own Node and list or watch only the pods bound to it (fieldSelector
/// spec.nodeName=&lt;name&gt;); it may get a pod, secret, config map, claim, volume, volume attachment,
/// service account token or resource claim only when the graph links that object to its node; it may
/// use only its own Lease in kube-node-lease and its own CSINode; everything else is the static rules of
/// the system:node role (events, services, certificate signing requests, ...). Writes kube leaves to the
/// NodeRestriction admission plugin (a node changing another node's status) are allowed here as there.
/// </summary>
internal sealed class NodeAuthorizer(NodeGraph graph) : IAuthorizer, IRuleResolver
{
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";
    public const string NodeLeaseNamespace = "kube-node-lease";

    /// <summary>The compiled-in node rules (bootstrappolicy.NodeRules), not the stored role, as kube uses them.</summary>
    private static readonly IReadOnlyList<PolicyRule> NodeRules =
        BootstrapPolicy.ClusterRoles.Single(r => r.Name == "system:node").Rules;

    public ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Authorize(attributes));

    public AuthorizationResult Authorize(AuthorizationAttributes a)
    {
        var (isNode, nodeName) = NodeIdentity(a.User);
        if (!isNode)
        {
            return AuthorizationResult.NoOpinion();
        }

        if (nodeName.Length == 0)
        {
            return AuthorizationResult.NoOpinion($"unknown node for user \"{a.User.Name}\"");
        }

        if (a.IsResourceRequest)
        {
            switch ((a.ApiGroup, a.Resource))
            {
                case ("", "secrets"):
                    return ReadNamespaced(nodeName, a, graph.SecretUsedOnNode);
                case ("", "configmaps"):
                    return ReadNamespaced(nodeName, a, graph.ConfigMapUsedOnNode);
                case ("", "persistentvolumeclaims"):
                    return a.Subresource == "status"
                        ? StatusUpdate(nodeName, a, graph.ClaimUsedOnNode)
                        : Get(nodeName, a, graph.ClaimUsedOnNode);
                case ("", "persistentvolumes"):
                    return Get(nodeName, a, (node, _, name) => graph.VolumeUsedOnNode(node, name));
                case ("resource.k8s.io", "resourceclaims"):
                    return Get(nodeName, a, graph.ResourceClaimUsedOnNode);
                case ("storage.k8s.io", "volumeattachments"):
                    return Get(nodeName, a, (node, _, name) => graph.AttachmentOnNode(node, name));
                case ("", "serviceaccounts"):
                    return CreateToken(nodeName, a);
                case ("coordination.k8s.io", "leases"):
                    return Lease(nodeName, a);
                case ("storage.k8s.io", "csinodes"):
                    return CsiNode(nodeName, a);
                case ("resource.k8s.io", "resourceslices"):
                    return ResourceSlice(nodeName, a);
                case ("", "nodes"):
                    return Node(nodeName, a);
                case ("", "pods"):
                    return Pod(nodeName, a);
            }
        }

        return NodeRules.Any(r => RbacAuthorizer.Allows(a, r)) ? AuthorizationResult.Allow() : AuthorizationResult.NoOpinion();
    }

    /// <summary>As kube's: nothing for other users; for kubelets the answer is incomplete.</summary>
    public RulesResult RulesFor(UserInfo user, string ns) => NodeIdentity(user).IsNode
        ? new RulesResult([], [], true, "node authorizer does not support user rule resolution")
        : new RulesResult([], [], false, "");

    /// <summary>nodeidentifier.NewDefaultNodeIdentifier: group system:nodes; the name after system:node:.</summary>
    public static (bool IsNode, string NodeName) NodeIdentity(UserInfo user)
    {
        if (!user.IsInGroup(NodesGroup))
        {
            return (false, "");
        }

        return user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) ? (true, user.Name[NodeUserPrefix.Length..]) : (false, "");
    }

    private AuthorizationResult ReadNamespaced(string node, AuthorizationAttributes a, Func<string, string, string, bool> related)
    {
        if (a.Verb is not ("get" or "list" or "watch"))
        {
            return AuthorizationResult.NoOpinion("can only read resources of this type");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationResult.NoOpinion("cannot read subresource");
        }

        if (a.Namespace.Length == 0)
        {
            return AuthorizationResult.NoOpinion("can only read namespaced object of this type");
        }

        return Related(node, a, related);
    }

    private AuthorizationResult Get(string node, AuthorizationAttributes a, Func<string, string, string, bool> related)
    {
        if (a.Verb != "get")
        {
            return AuthorizationResult.NoOpinion("can only get individual resources of this type");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationResult.NoOpinion("cannot get subresource");
        }

        return Related(node, a, related);
    }

    private AuthorizationResult StatusUpdate(string node, AuthorizationAttributes a, Func<string, string, string, bool> related) =>
        a.Verb is "update" or "patch"
            ? Related(node, a, related)
            : AuthorizationResult.NoOpinion("can only get/update/patch this type");

    private AuthorizationResult Related(string node, AuthorizationAttributes a, Func<string, string, string, bool> related)
    {
        if (a.Name.Length == 0)
        {
            return AuthorizationResult.NoOpinion("No Object name found");
        }

        return graph.HasSynced && related(node, a.Namespace, a.Name)
            ? AuthorizationResult.Allow()
            : AuthorizationResult.NoOpinion($"no relationship found between node '{node}' and this object");
    }

    private AuthorizationResult CreateToken(string node, AuthorizationAttributes a)
    {
        if (a.Verb != "create" || a.Name.Length == 0)
        {
            return AuthorizationResult.NoOpinion("can only create tokens for individual service accounts");
        }

        if (a.Subresource != "token")
        {
            return AuthorizationResult.NoOpinion("can only create token subresource of serviceaccount");
        }

        return Related(node, a, graph.ServiceAccountUsedOnNode);
    }

    private static AuthorizationResult Lease(string node, AuthorizationAttributes a)
    {
        if (a.Verb is not ("get" or "create" or "update" or "patch" or "delete"))
        {
            return AuthorizationResult.NoOpinion("can only get, create, update, patch, or delete a node lease");
        }

        if (a.Namespace != NodeLeaseNamespace)
        {
            return AuthorizationResult.NoOpinion($"can only access leases in the \"{NodeLeaseNamespace}\" system namespace");
        }

        // The name is not known on create; NodeRestriction checks it there.
        return a.Verb != "create" && a.Name != node
            ? AuthorizationResult.NoOpinion("can only access node lease with the same name as the requesting node")
            : AuthorizationResult.Allow();
    }

    private static AuthorizationResult CsiNode(string node, AuthorizationAttributes a)
    {
        if (a.Verb is not ("get" or "create" or "update" or "patch" or "delete"))
        {
            return AuthorizationResult.NoOpinion("can only get, create, update, patch, or delete a CSINode");
        }

        if (a.Subresource.Length > 0)
        {
            return AuthorizationResult.NoOpinion("cannot authorize CSINode subresources");
        }

        return a.Verb != "create" && a.Name != node
            ? AuthorizationResult.NoOpinion("can only access CSINode with the same name as the requesting node")
            : AuthorizationResult.Allow();
    }

    private AuthorizationResult ResourceSlice(string node, AuthorizationAttributes a)
    {
        if (a.Subresource.Length > 0)
        {
            return AuthorizationResult.NoOpinion("cannot authorize ResourceSlice subresources");
        }

        return a.Verb switch
        {
            "create" => AuthorizationResult.Allow(),
            "get" or "update" or "patch" or "delete" => Related(node, a, (n, _, name) => graph.SliceOnNode(n, name)),
            "watch" or "list" or "deletecollection" => HasFieldEquals(a, "spec.nodeName", node)
                ? AuthorizationResult.Allow()
                : AuthorizationResult.NoOpinion("can only list/watch/deletecollection resourceslices with nodeName field selector"),
            _ => AuthorizationResult.NoOpinion("only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection"),
        };
    }

    private static AuthorizationResult Node(string node, AuthorizationAttributes a)
    {
        switch (a.Subresource)
        {
            case "":
                switch (a.Verb)
                {
                    case "create" or "update" or "patch":
                        return AuthorizationResult.Allow();
                    case "get" or "list" or "watch":
                        if (a.Name == node)
                        {
                            return AuthorizationResult.Allow();
                        }

                        return AuthorizationResult.NoOpinion(a.Name.Length == 0
                            ? $"node '{node}' cannot read all nodes, only its own Node object"
                            : $"node '{node}' cannot read '{a.Name}', only its own Node object");
                }

                break;
            case "status" when a.Verb is "update" or "patch":
                return AuthorizationResult.Allow();
        }

        return AuthorizationResult.NoOpinion();
    }

    private AuthorizationResult Pod(string node, AuthorizationAttributes a)
    {
        switch (a.Subresource)
        {
            case "":
                switch (a.Verb)
                {
                    case "get":
                        return Get(node, a, graph.PodOnNode);
                    case "list" or "watch":
                        if (HasFieldEquals(a, "spec.nodeName", node))
                        {
                            return AuthorizationResult.Allow();
                        }

                        if (a.Name.Length > 0)
                        {
                            return Related(node, a, graph.PodOnNode);
                        }

                        return AuthorizationResult.NoOpinion("can only list/watch pods with spec.nodeName field selector");
                    case "create" or "delete":
                        return AuthorizationResult.Allow();
                }

                break;
            case "status" when a.Verb is "update" or "patch":
            case "eviction" when a.Verb == "create":
                return AuthorizationResult.Allow();
        }

        return AuthorizationResult.NoOpinion();
    }

    private static bool HasFieldEquals(AuthorizationAttributes a, string field, string value) =>
        a.FieldSelector.Any(r => r.Field == field && r.Operator == SelectionOperator.Equals && r.Value == value);
}
