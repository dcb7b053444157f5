using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Text;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// The core (v1) kinds other than pods (kube's pkg/apis/core/validation and the strategies in
/// pkg/registry/core/*): ConfigMap, Secret, Service, Endpoints, Namespace, Node, PersistentVolume,
/// PersistentVolumeClaim, LimitRange, ResourceQuota, ReplicationController, Event.
/// </summary>
internal static class CoreValidation
{
    /// <summary>core.MaxSecretSize: ConfigMaps and Secrets hold at most 1 MiB of data.</summary>
    public const int MaxDataSize = 1024 * 1024;

    private const string ImmutableWhenSet = "field is immutable when `immutable` is set";

    // ------------------------------------------------------------------ ConfigMap

    public static void ConfigMap(JsonObject cm, List<FieldError> errs)
    {
        long total = 0;
        var data = Read.Obj(cm, "data") ?? [];
        var binary = Read.Obj(cm, "binaryData") ?? [];
        foreach (var (key, value) in data)
        {
            var path = FieldPath.New("data").Key(key);
            errs.AddRange(ValueValidation.IsConfigMapKey(key).Select(m => FieldError.Invalid(path, key, m)));
            if (binary.ContainsKey(key))
            {
                errs.Add(FieldError.Invalid(path, key, "duplicate of key present in binaryData"));
            }
            total += System.Text.Encoding.UTF8.GetByteCount(Read.QuantityText(value) ?? "");
        }
        foreach (var (key, value) in binary)
        {
            errs.AddRange(ValueValidation.IsConfigMapKey(key).Select(m => FieldError.Invalid(FieldPath.New("binaryData").Key(key), key, m)));
            total += Base64Length(value);
        }
        if (total > MaxDataSize)
        {
            errs.Add(FieldError.TooLong(FieldPath.New(""), MaxDataSize));
        }
    }

    public static void ConfigMapUpdate(JsonObject cm, JsonObject old, List<FieldError> errs)
    {
        if (Read.Bool(old, "immutable"))
        {
            if (!Read.Bool(cm, "immutable"))
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("immutable"), ImmutableWhenSet));
            }
            if (!Read.DeepEquals(cm["data"], old["data"]))
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("data"), ImmutableWhenSet));
            }
            if (!Read.DeepEquals(cm["binaryData"], old["binaryData"]))
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("binaryData"), ImmutableWhenSet));
            }
        }
        ConfigMap(cm, errs);
    }

    // ------------------------------------------------------------------ Secret

    public static void Secret(JsonObject secret, List<FieldError> errs)
    {
        var dataPath = FieldPath.New("data");
        var data = Read.Obj(secret, "data") ?? [];
        long total = 0;
        foreach (var (key, value) in data)
        {
            errs.AddRange(ValueValidation.IsConfigMapKey(key).Select(m => FieldError.Invalid(dataPath.Key(key), key, m)));
            total += Base64Length(value);
        }
        if (total > MaxDataSize)
        {
            errs.Add(FieldError.TooLong(dataPath, MaxDataSize));
        }

        switch (secret.GetString("type") ?? "")
        {
            case "kubernetes.io/service-account-token":
                if (!Read.Map(secret["metadata"], "annotations").TryGetValue("kubernetes.io/service-account.name", out var account) || account.Length == 0)
                {
                    errs.Add(FieldError.Required(FieldPath.New("metadata", "annotations").Key("kubernetes.io/service-account.name"), ""));
                }
                break;
            case "kubernetes.io/dockercfg":
                DockerConfig(errs, data, ".dockercfg", dataPath);
                break;
            case "kubernetes.io/dockerconfigjson":
                DockerConfig(errs, data, ".dockerconfigjson", dataPath);
                break;
            case "kubernetes.io/basic-auth":
                if (!data.ContainsKey("username") && !data.ContainsKey("password"))
                {
                    // kube builds these paths from the format string "data[%s]" unformatted.
                    errs.Add(FieldError.Required(FieldPath.New("data[%s]").Key("username"), ""));
                    errs.Add(FieldError.Required(FieldPath.New("data[%s]").Key("password"), ""));
                }
                break;
            case "kubernetes.io/ssh-auth":
                if (Base64Length(data["ssh-privatekey"]) == 0)
                {
                    errs.Add(FieldError.Required(FieldPath.New("data[%s]").Key("ssh-privatekey"), ""));
                }
                break;
            case "kubernetes.io/tls":
                if (!data.ContainsKey("tls.crt"))
                {
                    errs.Add(FieldError.Required(dataPath.Key("tls.crt"), ""));
                }
                if (!data.ContainsKey("tls.key"))
                {
                    errs.Add(FieldError.Required(dataPath.Key("tls.key"), ""));
                }
                break;
        }
    }

    public static void SecretUpdate(JsonObject secret, JsonObject old, List<FieldError> errs)
    {
        var type = secret.GetString("type") ?? "";
        if (type.Length == 0)
        {
            type = old.GetString("type") ?? "";
        }
        if (type != (old.GetString("type") ?? ""))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("type"), type, Common.FieldImmutable));
        }
        if (Read.Bool(old, "immutable"))
        {
            if (!Read.Bool(secret, "immutable"))
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("immutable"), ImmutableWhenSet));
            }
            if (!Read.DeepEquals(secret["data"], old["data"]))
            {
                errs.Add(FieldError.Forbidden(FieldPath.New("data"), ImmutableWhenSet));
            }
        }
        Secret(secret, errs);
    }

    private static void DockerConfig(List<FieldError> errs, JsonObject data, string key, FieldPath dataPath)
    {
        if (!data.ContainsKey(key))
        {
            errs.Add(FieldError.Required(dataPath.Key(key), ""));
            return;
        }
        try
        {
            var bytes = Convert.FromBase64String(Read.QuantityText(data[key]) ?? "");
            if (JsonNode.Parse(bytes) is not JsonObject)
            {
                throw new JsonException("json: cannot unmarshal into Go value of type map[string]interface {}");
            }
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            errs.Add(FieldError.Invalid(dataPath.Key(key), "<secret contents redacted>", e is JsonException j && j.Message.StartsWith("json:", StringComparison.Ordinal) ? j.Message : "unexpected end of JSON input"));
        }
    }

    /// <summary>The decoded size of a base64 value (a []byte field).</summary>
    private static long Base64Length(JsonNode? value)
    {
        var text = Read.QuantityText(value) ?? "";
        var padding = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        return Math.Max(0, (text.Length / 4 * 3) - padding + (text.Length % 4 == 0 ? 0 : (text.Length % 4) - 1));
    }

    // ------------------------------------------------------------------ Service

    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    public static void Service(JsonObject service, List<FieldError> errs)
    {
        var spec = Read.Obj(service, "spec") ?? [];
        var specPath = FieldPath.New("spec");
        var type = spec.GetString("type") ?? "";
        var clusterIP = spec.GetString("clusterIP") ?? "";
        var headless = clusterIP == "None";
        var ports = Read.Items(spec, "ports");
        var portsPath = specPath.Child("ports");
        if (ports.Count == 0 && !headless && type != "ExternalName")
        {
            errs.Add(FieldError.Required(portsPath, ""));
        }
        switch (type)
        {
            case "LoadBalancer":
                if (headless)
                {
                    errs.Add(FieldError.Invalid(specPath.Child("clusterIP"), clusterIP, "may not be set to 'None' for LoadBalancer services"));
                }
                break;
            case "NodePort":
                if (headless)
                {
                    errs.Add(FieldError.Invalid(specPath.Child("clusterIP"), clusterIP, "may not be set to 'None' for NodePort services"));
                }
                break;
            case "ExternalName":
                if (Read.Count(spec, "clusterIPs") > 0 || clusterIP.Length > 0)
                {
                    errs.Add(FieldError.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"));
                }
                if (Read.Count(spec, "ipFamilies") > 0)
                {
                    errs.Add(FieldError.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"));
                }
                if (Read.Has(spec, "ipFamilyPolicy"))
                {
                    errs.Add(FieldError.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"));
                }
                var cname = (spec.GetString("externalName") ?? "").TrimEnd('.');
                if (cname.Length > 0)
                {
                    Common.DNS1123Subdomain(errs, cname, specPath.Child("externalName"));
                }
                else
                {
                    errs.Add(FieldError.Required(specPath.Child("externalName"), ""));
                }
                break;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            ServicePort(errs, ports[i], ports.Count > 1, names, portsPath.Index(i));
        }
        Common.Labels(errs, Read.Map(spec, "selector"), specPath.Child("selector"));

        var affinity = spec.GetString("sessionAffinity") ?? "";
        Common.OneOf(errs, affinity, specPath.Child("sessionAffinity"), "ClientIP", "None");
        if (affinity == "ClientIP")
        {
            var config = Read.Obj(spec, "sessionAffinityConfig");
            var configPath = specPath.Child("sessionAffinityConfig");
            if (config is null)
            {
                errs.Add(FieldError.Required(configPath, "when session affinity type is ClientIP"));
            }
            else if (Read.Obj(config, "clientIP") is not { } clientIP)
            {
                errs.Add(FieldError.Required(configPath.Child("clientIP"), "when session affinity type is ClientIP"));
            }
            else if (Read.IntOrNull(clientIP, "timeoutSeconds") is not { } timeout)
            {
                errs.Add(FieldError.Required(configPath.Child("clientIP", "timeoutSeconds"), "when session affinity type is ClientIP"));
            }
            else if (timeout is <= 0 or > 86400)
            {
                errs.Add(FieldError.Invalid(configPath.Child("clientIP", "timeoutSeconds"), timeout, "must be greater than 0 and less than 86400"));
            }
        }
        else if (affinity == "None" && Read.Has(spec, "sessionAffinityConfig"))
        {
            errs.Add(FieldError.Forbidden(specPath.Child("sessionAffinityConfig"), "must not be set when session affinity is None"));
        }

        if (clusterIP.Length > 0 && !headless && ValueValidation.ParseIP(clusterIP) is null)
        {
            errs.Add(FieldError.Invalid(specPath.Child("clusterIPs").Index(0), clusterIP, "must be empty, 'None', or a valid IP address"));
        }
        var externalIPs = Read.Strings(spec, "externalIPs");
        for (var i = 0; i < externalIPs.Count; i++)
        {
            errs.AddRange(ValueValidation.IsValidIP(externalIPs[i]).Select(m => FieldError.Invalid(specPath.Child("externalIPs").Index(i), externalIPs[i], m)));
        }
        Common.OneOf(errs, type, specPath.Child("type"), "ClusterIP", "ExternalName", "LoadBalancer", "NodePort");

        if (type == "ClusterIP")
        {
            for (var i = 0; i < ports.Count; i++)
            {
                if (Read.Int(ports[i], "nodePort") != 0)
                {
                    errs.Add(FieldError.Forbidden(portsPath.Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
                }
            }
        }
        var nodePorts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var nodePort = Read.Int(ports[i], "nodePort");
            if (nodePort != 0 && !nodePorts.Add((ports[i].GetString("protocol") ?? "") + "/" + nodePort))
            {
                errs.Add(FieldError.Duplicate(portsPath.Index(i).Child("nodePort"), nodePort));
            }
        }
        var seenPorts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var protocol = ports[i].GetString("protocol") ?? "";
            var number = Read.Int(ports[i], "port");
            if (!seenPorts.Add(protocol + "/" + number))
            {
                errs.Add(FieldError.Duplicate(portsPath.Index(i), new GoValue(
                    $"core.ServicePort{{Name:\"\", Protocol:{GoText.Quote(protocol)}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}")));
            }
        }

        var sourceRanges = Read.Strings(spec, "loadBalancerSourceRanges");
        if (sourceRanges.Count > 0)
        {
            var rangesPath = specPath.Child("LoadBalancerSourceRanges");
            if (type != "LoadBalancer")
            {
                errs.Add(FieldError.Forbidden(rangesPath, "may only be used when `type` is 'LoadBalancer'"));
            }
            if (sourceRanges.Any(r => !ValueValidation.ParseCIDR(r.Trim())))
            {
                errs.Add(FieldError.Invalid(rangesPath, "[" + string.Join(" ", sourceRanges) + "]", "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 "));
            }
        }

        var externalPolicy = spec.GetString("externalTrafficPolicy") ?? "";
        if (type is "NodePort" or "LoadBalancer")
        {
            Common.OneOf(errs, externalPolicy, specPath.Child("externalTrafficPolicy"), "Cluster", "Local");
        }
        else if (externalPolicy.Length > 0)
        {
            errs.Add(FieldError.Invalid(specPath.Child("externalTrafficPolicy"), externalPolicy, "may only be set for externally-accessible services"));
        }
        if (type != "ExternalName")
        {
            Common.OneOf(errs, spec.GetString("internalTrafficPolicy") ?? "", specPath.Child("internalTrafficPolicy"), "Cluster", "Local");
            if (spec.GetString("ipFamilyPolicy") is { } familyPolicy)
            {
                Common.OneOf(errs, familyPolicy, specPath.Child("ipFamilyPolicy"), "PreferDualStack", "RequireDualStack", "SingleStack");
            }
            var families = Read.Strings(spec, "ipFamilies");
            var seenFamilies = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < families.Count; i++)
            {
                Common.OneOf(errs, families[i], specPath.Child("ipFamilies").Index(i), "IPv4", "IPv6");
                if (!seenFamilies.Add(families[i]))
                {
                    errs.Add(FieldError.Duplicate(specPath.Child("ipFamilies").Index(i), families[i]));
                }
            }
        }
        if (Read.Int(spec, "healthCheckNodePort") < 0)
        {
            errs.Add(FieldError.Invalid(specPath.Child("healthCheckNodePort"), Read.Int(spec, "healthCheckNodePort"), "must be not less than 0"));
        }
    }

    private static void ServicePort(List<FieldError> errs, JsonObject port, bool requireName, HashSet<string> names, FieldPath path)
    {
        var name = port.GetString("name") ?? "";
        if (requireName && name.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("name"), ""));
        }
        else if (name.Length > 0)
        {
            Common.DNS1123Label(errs, name, path.Child("name"));
            if (!names.Add(name))
            {
                errs.Add(FieldError.Duplicate(path.Child("name"), name));
            }
        }
        var number = Read.Int(port, "port");
        errs.AddRange(ValueValidation.IsValidPortNum(number).Select(m => FieldError.Invalid(path.Child("port"), number, m)));
        Common.OneOf(errs, port.GetString("protocol") ?? "", path.Child("protocol"), Protocols);
        Common.PortNumOrName(errs, port["targetPort"], path.Child("targetPort"));
        if (port.GetString("appProtocol") is { } appProtocol)
        {
            Common.QualifiedName(errs, appProtocol, path.Child("appProtocol"));
        }
    }

    public static void ServiceUpdate(JsonObject service, JsonObject old, List<FieldError> errs)
    {
        var type = service["spec"].GetString("type") ?? "";
        var oldType = old["spec"].GetString("type") ?? "";
        var oldClusterIP = old["spec"].GetString("clusterIP") ?? "";
        if (type != "ExternalName" && oldType != "ExternalName" && oldClusterIP.Length > 0)
        {
            Common.Immutable(errs, service["spec"]?["clusterIP"], old["spec"]?["clusterIP"], FieldPath.New("spec", "clusterIP"));
        }
        Service(service, errs);
    }

    public static void ServiceStatusUpdate(JsonObject service, JsonObject old, List<FieldError> errs) =>
        LoadBalancerStatus(errs, Read.Obj(service["status"], "loadBalancer"), FieldPath.New("status", "loadBalancer"));

    public static void LoadBalancerStatus(List<FieldError> errs, JsonObject? status, FieldPath path)
    {
        var ingress = Read.Items(status, "ingress");
        for (var i = 0; i < ingress.Count; i++)
        {
            var idx = path.Child("ingress").Index(i);
            if (ingress[i].GetString("ip") is { Length: > 0 } ip)
            {
                errs.AddRange(ValueValidation.IsValidIP(ip).Select(m => FieldError.Invalid(idx.Child("ip"), ip, m)));
            }
            if (ingress[i].GetString("hostname") is { Length: > 0 } hostname)
            {
                Common.DNS1123Subdomain(errs, hostname, idx.Child("hostname"));
                if (ValueValidation.ParseIP(hostname) is not null)
                {
                    errs.Add(FieldError.Invalid(idx.Child("hostname"), hostname, "must be a DNS name, not an IP address"));
                }
            }
            if (ingress[i].GetString("ipMode") is { } mode)
            {
                Common.OneOf(errs, mode, idx.Child("ipMode"), "Proxy", "VIP");
            }
        }
    }

    // ------------------------------------------------------------------ Endpoints

    public static void Endpoints(JsonObject endpoints, List<FieldError> errs)
    {
        var subsets = Read.Items(endpoints, "subsets");
        for (var i = 0; i < subsets.Count; i++)
        {
            var path = FieldPath.New("subsets").Index(i);
            var subset = subsets[i];
            if (Read.Count(subset, "addresses") == 0 && Read.Count(subset, "notReadyAddresses") == 0)
            {
                errs.Add(FieldError.Required(path, "must specify `addresses` or `notReadyAddresses`"));
            }
            foreach (var list in new[] { "addresses", "notReadyAddresses" })
            {
                var addresses = Read.Items(subset, list);
                for (var j = 0; j < addresses.Count; j++)
                {
                    var ip = addresses[j].GetString("ip") ?? "";
                    errs.AddRange(ValueValidation.IsValidIP(ip).Select(m => FieldError.Invalid(path.Child(list).Index(j).Child("ip"), ip, m)));
                    if (addresses[j].GetString("hostname") is { Length: > 0 } hostname)
                    {
                        Common.DNS1123Label(errs, hostname, path.Child(list).Index(j).Child("hostname"));
                    }
                    if (addresses[j].GetString("nodeName") is { Length: > 0 } nodeName)
                    {
                        Common.NameReference(errs, nodeName, path.Child(list).Index(j).Child("nodeName"), NameValidation.NameIsDNSSubdomain);
                    }
                }
            }
            var ports = Read.Items(subset, "ports");
            for (var j = 0; j < ports.Count; j++)
            {
                var portPath = path.Child("ports").Index(j);
                var name = ports[j].GetString("name") ?? "";
                if (ports.Count > 1 && name.Length == 0)
                {
                    errs.Add(FieldError.Required(portPath.Child("name"), ""));
                }
                else if (name.Length > 0)
                {
                    Common.DNS1123Label(errs, name, portPath.Child("name"));
                }
                var number = Read.Int(ports[j], "port");
                errs.AddRange(ValueValidation.IsValidPortNum(number).Select(m => FieldError.Invalid(portPath.Child("port"), number, m)));
                Common.OneOf(errs, ports[j].GetString("protocol") ?? "", portPath.Child("protocol"), Protocols);
            }
        }
    }

    // ------------------------------------------------------------------ Namespace

    public static void Namespace(JsonObject ns, List<FieldError> errs)
    {
        var finalizers = Read.Strings(ns["spec"], "finalizers");
        for (var i = 0; i < finalizers.Count; i++)
        {
            FinalizerName(errs, finalizers[i], FieldPath.New("spec", "finalizers").Index(i));
        }
    }

    /// <summary>validateFinalizerName: a qualified name, and names without a domain must be kube's own.</summary>
    public static void FinalizerName(List<FieldError> errs, string name, FieldPath path)
    {
        var problems = NameValidation.IsQualifiedName(name);
        if (problems.Count > 0)
        {
            errs.AddRange(problems.Select(m => FieldError.Invalid(path, name, m)));
            return;
        }
        if (!name.Contains('/') && name is not ("kubernetes" or "orphan" or "foregroundDeletion"))
        {
            errs.Add(FieldError.Invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"));
        }
    }

    public static void NamespaceStatusUpdate(JsonObject ns, JsonObject old, List<FieldError> errs)
    {
        var phase = ns["status"].GetString("phase") ?? "";
        if ((ns["metadata"].GetString("deletionTimestamp") ?? "").Length == 0)
        {
            if (phase.Length > 0 && phase != "Active")
            {
                errs.Add(FieldError.Invalid(FieldPath.New("status", "Phase"), phase, "may only be 'Active' if `deletionTimestamp` is empty"));
            }
        }
        else if (phase != "Terminating")
        {
            errs.Add(FieldError.Invalid(FieldPath.New("status", "Phase"), phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
        }
    }

    // ------------------------------------------------------------------ Node

    public static void Node(JsonObject node, List<FieldError> errs)
    {
        var spec = Read.Obj(node, "spec");
        var specPath = FieldPath.New("spec");
        Taints(errs, Read.Items(spec, "taints"), specPath.Child("taints"));
        var cidrs = Read.Strings(spec, "podCIDRs");
        if (spec.GetString("podCIDR") is { Length: > 0 } podCIDR && !ValueValidation.ParseCIDR(podCIDR))
        {
            errs.Add(FieldError.Invalid(specPath.Child("podCIDRs").Index(0), podCIDR, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"));
        }
        for (var i = 0; i < cidrs.Count; i++)
        {
            errs.AddRange(ValueValidation.IsValidCIDR(cidrs[i]).Select(m => FieldError.Invalid(specPath.Child("podCIDRs").Index(i), cidrs[i], m)));
        }
        if (cidrs.Count > 2)
        {
            errs.Add(FieldError.Invalid(specPath.Child("podCIDRs"), new GoValue("[" + string.Join(" ", cidrs) + "]"), "may specify no more than one CIDR for each IP family"));
        }
        var status = Read.Obj(node, "status");
        foreach (var list in new[] { "capacity", "allocatable" })
        {
            foreach (var (name, value) in Read.Obj(status, list) ?? [])
            {
                Common.NonNegativeQuantity(errs, value, FieldPath.New("status", list).Key(name));
            }
        }
    }

    public static void NodeUpdate(JsonObject node, JsonObject old, List<FieldError> errs)
    {
        Node(node, errs);
        var specPath = FieldPath.New("spec");
        var oldCIDRs = Read.Strings(old["spec"], "podCIDRs");
        var newCIDRs = Read.Strings(node["spec"], "podCIDRs");
        if (oldCIDRs.Count > 0 && !oldCIDRs.SequenceEqual(newCIDRs))
        {
            errs.Add(FieldError.Forbidden(specPath.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"));
        }
        var oldProvider = old["spec"].GetString("providerID") ?? "";
        if (oldProvider.Length > 0 && (node["spec"].GetString("providerID") ?? "") != oldProvider)
        {
            errs.Add(FieldError.Forbidden(specPath.Child("providerID"), "node updates may not change providerID except from \"\" to valid"));
        }
    }

    public static void Taints(List<FieldError> errs, IReadOnlyList<JsonObject> taints, FieldPath path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < taints.Count; i++)
        {
            var idx = path.Index(i);
            var key = taints[i].GetString("key") ?? "";
            errs.AddRange(ObjectMetaValidator.ValidateLabelName(key, idx.Child("key")));
            var value = taints[i].GetString("value") ?? "";
            errs.AddRange(NameValidation.IsValidLabelValue(value).Select(m => FieldError.Invalid(idx.Child("value"), value, m)));
            var effect = taints[i].GetString("effect") ?? "";
            Common.OneOf(errs, effect, idx.Child("effect"), "NoSchedule", "PreferNoSchedule", "NoExecute");
            if (!seen.Add(key + "\0" + effect))
            {
                errs.Add(FieldError.Duplicate(idx, new GoValue($"core.Taint{{Key:{GoText.Quote(key)}, Value:{GoText.Quote(value)}, Effect:{GoText.Quote(effect)}, TimeAdded:<nil>}}")));
            }
        }
    }

    // ------------------------------------------------------------------ PersistentVolume

    private static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    private static readonly string[] PersistentVolumeSources =
    [
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "glusterfs", "flocker", "nfs", "rbd", "quobyte", "cinder",
        "cephfs", "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local",
        "storageos", "csi", "iscsi", "fc", "flexVolume",
    ];

    public static void PersistentVolume(JsonObject pv, List<FieldError> errs)
    {
        var spec = Read.Obj(pv, "spec") ?? [];
        var specPath = FieldPath.New("spec");
        AccessModesOf(errs, Read.Strings(spec, "accessModes"), specPath.Child("accessModes"), "");
        var capacity = Read.Obj(spec, "capacity");
        if (capacity is not { Count: > 0 })
        {
            errs.Add(FieldError.Required(specPath.Child("capacity"), ""));
        }
        else
        {
            if (!capacity.ContainsKey("storage") || capacity.Count > 1)
            {
                errs.Add(FieldError.NotSupported(specPath.Child("capacity"), new GoValue(string.Join(",", capacity.Select(p => p.Key))), ["storage"]));
            }
            foreach (var (name, value) in capacity)
            {
                Common.PositiveQuantity(errs, value, specPath.Child("capacity").Key(name));
            }
        }
        var reclaim = spec.GetString("persistentVolumeReclaimPolicy") ?? "";
        if (reclaim.Length > 0)
        {
            Common.OneOf(errs, reclaim, specPath.Child("persistentVolumeReclaimPolicy"), "Delete", "Recycle", "Retain");
        }
        if (spec.GetString("storageClassName") is { Length: > 0 } className)
        {
            Common.NameReference(errs, className, specPath.Child("storageClassName"), NameValidation.NameIsDNSSubdomain);
        }
        if (spec.GetString("volumeMode") is { } mode)
        {
            Common.OneOf(errs, mode, specPath.Child("volumeMode"), "Block", "Filesystem");
        }
        var sources = PersistentVolumeSources.Where(s => Read.Has(spec, s)).ToList();
        if (sources.Count == 0)
        {
            errs.Add(FieldError.Required(specPath, "must specify a volume type"));
        }
        foreach (var extra in sources.Skip(1))
        {
            errs.Add(FieldError.Forbidden(specPath.Child(extra), "may not specify more than 1 volume type"));
        }
        if (sources.Count == 1)
        {
            var source = Read.Obj(spec, sources[0]) ?? [];
            var sourcePath = specPath.Child(sources[0]);
            switch (sources[0])
            {
                case "hostPath" or "local":
                    if ((source.GetString("path") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(sourcePath.Child("path"), ""));
                    }
                    break;
                case "nfs":
                    if ((source.GetString("server") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(sourcePath.Child("server"), ""));
                    }
                    if ((source.GetString("path") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(sourcePath.Child("path"), ""));
                    }
                    break;
                case "csi":
                    if ((source.GetString("driver") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(sourcePath.Child("driver"), ""));
                    }
                    if ((source.GetString("volumeHandle") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(sourcePath.Child("volumeHandle"), ""));
                    }
                    break;
            }
            if (sources[0] == "local" && !Read.Has(spec, "nodeAffinity"))
            {
                errs.Add(FieldError.Required(specPath.Child("nodeAffinity"), "Local volume requires node affinity"));
            }
        }
        if (reclaim == "Recycle" && sources.Count == 1 && sources[0] is not ("hostPath" or "nfs"))
        {
            errs.Add(FieldError.NotSupported(specPath.Child("persistentVolumeReclaimPolicy"), reclaim, ["Delete", "Retain"]));
        }
    }

    public static void PersistentVolumeUpdate(JsonObject pv, JsonObject old, List<FieldError> errs)
    {
        PersistentVolume(pv, errs);
        var spec = Read.Obj(pv, "spec") ?? [];
        var oldSpec = Read.Obj(old, "spec") ?? [];
        var source = new JsonObject();
        var oldSource = new JsonObject();
        foreach (var s in PersistentVolumeSources)
        {
            if (spec[s] is { } v)
            {
                source[s] = v.DeepClone();
            }
            if (oldSpec[s] is { } o)
            {
                oldSource[s] = o.DeepClone();
            }
        }
        if (!Read.DeepEquals(source, oldSource))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("spec", "persistentvolumesource"), "spec.persistentvolumesource is immutable after creation"));
        }
        Common.Immutable(errs, spec["volumeMode"], oldSpec["volumeMode"], FieldPath.New("spec", "volumeMode"));
        if (oldSpec["nodeAffinity"] is not null)
        {
            Common.Immutable(errs, spec["nodeAffinity"], oldSpec["nodeAffinity"], FieldPath.New("spec", "nodeAffinity"), "");
        }
    }

    public static void PersistentVolumeStatusUpdate(JsonObject pv, JsonObject old, List<FieldError> errs)
    {
        if (pv["status"].GetString("phase") is { Length: > 0 } phase)
        {
            Common.OneOf(errs, phase, FieldPath.New("status", "phase"), "Available", "Bound", "Failed", "Pending", "Released");
        }
    }

    private static void AccessModesOf(List<FieldError> errs, IReadOnlyList<string> modes, FieldPath path, string requiredDetail)
    {
        if (modes.Count == 0)
        {
            errs.Add(FieldError.Required(path, requiredDetail));
            return;
        }
        foreach (var mode in modes)
        {
            if (!AccessModes.Contains(mode, StringComparer.Ordinal))
            {
                errs.Add(FieldError.NotSupported(path, mode, AccessModes));
            }
        }
        if (modes.Contains("ReadWriteOncePod") && modes.Count > 1)
        {
            errs.Add(FieldError.Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
        }
    }

    // ------------------------------------------------------------------ PersistentVolumeClaim

    public static void PersistentVolumeClaim(JsonObject pvc, List<FieldError> errs) =>
        ClaimSpec(errs, Read.Obj(pvc, "spec") ?? [], FieldPath.New("spec"));

    /// <summary>ValidatePersistentVolumeClaimSpec, also used by StatefulSets' volume claim templates.</summary>
    public static void ClaimSpec(List<FieldError> errs, JsonObject spec, FieldPath path)
    {
        AccessModesOf(errs, Read.Strings(spec, "accessModes"), path.Child("accessModes"), "at least 1 access mode is required");
        Common.LabelSelector(errs, Read.Obj(spec, "selector"), path.Child("selector"));
        var requests = Read.Obj(spec["resources"], "requests");
        var storagePath = path.Child("resources").Key("storage");
        if (requests?["storage"] is not { } storage)
        {
            errs.Add(FieldError.Required(storagePath, ""));
        }
        else
        {
            Common.PositiveQuantity(errs, storage, storagePath);
        }
        if (spec.GetString("storageClassName") is { Length: > 0 } className)
        {
            Common.NameReference(errs, className, path.Child("storageClassName"), NameValidation.NameIsDNSSubdomain);
        }
        if (spec.GetString("volumeMode") is { } mode)
        {
            Common.OneOf(errs, mode, path.Child("volumeMode"), "Block", "Filesystem");
        }
        if (Read.Obj(spec, "dataSource") is { } dataSource)
        {
            if ((dataSource.GetString("name") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("dataSource", "name"), ""));
            }
            if ((dataSource.GetString("kind") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("dataSource", "kind"), ""));
            }
        }
    }

    public static void PersistentVolumeClaimUpdate(JsonObject pvc, JsonObject old, List<FieldError> errs)
    {
        PersistentVolumeClaim(pvc, errs);
        var spec = (Read.Obj(pvc, "spec") ?? []).DeepClone().AsObject();
        var oldSpec = (Read.Obj(old, "spec") ?? []).DeepClone().AsObject();
        // volumeName may be set once (binding); a bound claim may change its requests and attributes class.
        if ((oldSpec.GetString("volumeName") ?? "").Length == 0)
        {
            oldSpec["volumeName"] = spec["volumeName"]?.DeepClone();
        }
        if (old["status"].GetString("phase") == "Bound")
        {
            if (spec["resources"] is JsonObject resources)
            {
                resources["requests"] = oldSpec["resources"]?["requests"]?.DeepClone();
            }
            spec["volumeAttributesClassName"] = oldSpec["volumeAttributesClassName"]?.DeepClone();
        }
        if (!Read.DeepEquals(spec, oldSpec))
        {
            errs.Add(FieldError.Forbidden(FieldPath.New("spec"), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
        }
    }

    // ------------------------------------------------------------------ LimitRange

    public static void LimitRange(JsonObject limitRange, List<FieldError> errs)
    {
        var limits = Read.Items(limitRange["spec"], "limits");
        var seenTypes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < limits.Count; i++)
        {
            var item = limits[i];
            var idx = FieldPath.New("spec", "limits").Index(i);
            var type = item.GetString("type") ?? "";
            if (!seenTypes.Add(type))
            {
                errs.Add(FieldError.Duplicate(idx.Child("type"), type));
            }
            var max = Read.Obj(item, "max") ?? [];
            var min = Read.Obj(item, "min") ?? [];
            var defaults = Read.Obj(item, "default") ?? [];
            var defaultRequests = Read.Obj(item, "defaultRequest") ?? [];
            foreach (var (list, values) in new[] { ("max", max), ("min", min), ("default", defaults), ("defaultRequest", defaultRequests), ("maxLimitRequestRatio", Read.Obj(item, "maxLimitRequestRatio") ?? []) })
            {
                foreach (var (name, value) in values)
                {
                    errs.AddRange(NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid(idx.Child(list).Key(name), name, m)));
                    Common.NonNegativeQuantity(errs, value, idx.Child(list).Key(name));
                }
            }
            if (type == "Pod")
            {
                if (defaults.Count > 0)
                {
                    errs.Add(FieldError.Forbidden(idx.Child("default"), "may not be specified when `type` is 'Pod'"));
                }
                if (defaultRequests.Count > 0)
                {
                    errs.Add(FieldError.Forbidden(idx.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"));
                }
            }
            var names = max.Select(p => p.Key).Union(min.Select(p => p.Key)).Union(defaults.Select(p => p.Key)).Union(defaultRequests.Select(p => p.Key));
            foreach (var name in names)
            {
                var maxQ = Common.Quantity(max[name]);
                var minQ = Common.Quantity(min[name]);
                var defQ = Common.Quantity(defaults[name]);
                var reqQ = Common.Quantity(defaultRequests[name]);
                if (minQ is { } mn && maxQ is { } mx && mn.Value > mx.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("min").Key(name), mn.ToString(), $"min value {mn} is greater than max value {mx}"));
                }
                if (reqQ is { } rq && maxQ is { } mx2 && rq.Value > mx2.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("defaultRequest").Key(name), rq.ToString(), $"default request value {rq} is greater than max value {mx2}"));
                }
                if (reqQ is { } rq2 && defQ is { } df && rq2.Value > df.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("defaultRequest").Key(name), rq2.ToString(), $"default request value {rq2} is greater than default limit value {df}"));
                }
                if (reqQ is { } rq3 && minQ is { } mn2 && mn2.Value > rq3.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("defaultRequest").Key(name), rq3.ToString(), $"min value {mn2} is greater than default request value {rq3}"));
                }
                if (defQ is { } df2 && maxQ is { } mx3 && df2.Value > mx3.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("default").Key(name), df2.ToString(), $"default value {df2} is greater than max value {mx3}"));
                }
                if (defQ is { } df3 && minQ is { } mn3 && mn3.Value > df3.Value)
                {
                    errs.Add(FieldError.Invalid(idx.Child("default").Key(name), df3.ToString(), $"min value {mn3} is greater than default value {df3}"));
                }
            }
        }
    }

    // ------------------------------------------------------------------ ResourceQuota

    private static readonly HashSet<string> StandardQuotaResources = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
        "services.nodeports", "services.loadbalancers", "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu",
        "limits.memory", "ephemeral-storage", "requests.ephemeral-storage", "limits.ephemeral-storage", "requests.storage",
    };

    public static void ResourceQuota(JsonObject quota, List<FieldError> errs)
    {
        var spec = Read.Obj(quota, "spec");
        foreach (var (name, value) in Read.Obj(spec, "hard") ?? [])
        {
            var path = FieldPath.New("spec", "hard").Key(name);
            QuotaResourceName(errs, name, path);
            Common.NonNegativeQuantity(errs, value, path);
        }
        var scopes = Read.Strings(spec, "scopes");
        foreach (var scope in scopes)
        {
            if (scope is not ("Terminating" or "NotTerminating" or "BestEffort" or "NotBestEffort" or "PriorityClass" or "CrossNamespacePodAffinity" or "VolumeAttributesClass"))
            {
                errs.Add(FieldError.Invalid(FieldPath.New("spec", "scopes"), scope, "unsupported scope"));
            }
        }
    }

    public static void ResourceQuotaStatusUpdate(JsonObject quota, JsonObject old, List<FieldError> errs)
    {
        foreach (var list in new[] { "hard", "used" })
        {
            foreach (var (name, value) in Read.Obj(quota["status"], list) ?? [])
            {
                var path = FieldPath.New("status", list).Key(name);
                QuotaResourceName(errs, name, path);
                Common.NonNegativeQuantity(errs, value, path);
            }
        }
    }

    private static void QuotaResourceName(List<FieldError> errs, string name, FieldPath path)
    {
        errs.AddRange(NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid(path, name, m)));
        if (!name.Contains('/') && !StandardQuotaResources.Contains(name)
            && !name.StartsWith("hugepages-", StringComparison.Ordinal) && !name.StartsWith("requests.hugepages-", StringComparison.Ordinal))
        {
            errs.Add(FieldError.Invalid(path, name, "must be a standard resource for quota"));
        }
    }

    // ------------------------------------------------------------------ ReplicationController

    public static void ReplicationController(JsonObject rc, List<FieldError> errs)
    {
        var spec = Read.Obj(rc, "spec") ?? [];
        var path = FieldPath.New("spec");
        Common.NonNegative(errs, Read.Int(spec, "minReadySeconds"), path.Child("minReadySeconds"));
        var selector = Read.Map(spec, "selector");
        if (selector.Count == 0)
        {
            errs.Add(FieldError.Required(path.Child("selector"), ""));
        }
        Common.Labels(errs, selector, path.Child("selector"));
        Common.NonNegative(errs, Read.Int(spec, "replicas"), path.Child("replicas"));
        PodValidation.TemplateForController(errs, Read.Obj(spec, "template"),
            ApiMachinery.Selectors.LabelSelector.FromSet(selector), path.Child("template"), "ReplicationController");
    }

    public static void ReplicationControllerStatusUpdate(JsonObject rc, JsonObject old, List<FieldError> errs) =>
        AppsValidation.ReplicaCounts(errs, Read.Obj(rc, "status"), FieldPath.New("status"));

    // ------------------------------------------------------------------ Event

    public static void Event(JsonObject ev, List<FieldError> errs)
    {
        var ns = ev["metadata"].GetString("namespace") ?? "";
        var involvedNamespace = ev["involvedObject"].GetString("namespace") ?? "";
        if (involvedNamespace.Length == 0 ? ns is not ("" or "default") : ns != involvedNamespace)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("involvedObject", "namespace"), involvedNamespace, "does not match event.namespace"));
        }
    }
}
