using System.Text;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// Pods, pod templates and the pod spec every workload embeds (kube's pkg/apis/core/validation:
/// ValidatePodCreate, ValidatePodUpdate, ValidatePodStatusUpdate, ValidatePodTemplateSpec and
/// ValidatePodSpec). Covered: volumes (names, one source each, the common sources' required fields,
/// projected items), containers (names, images, ports, env, volume mounts, resources, probes, pull
/// and termination-message policies), restart and DNS policies, node selector, tolerations, topology
/// spread constraints, host name and subdomain, service account, node and priority class names,
/// active deadline; on update, kube's immutability of everything but images, active deadline,
/// tolerations (additions), CPU/memory resources and a negative grace period set to 1.
/// Not covered: security contexts beyond ids, affinity terms, DNS config, sysctls, OS-specific rules.
/// </summary>
internal static class PodValidation
{
    private static readonly string[] VolumeSources =
    [
        "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
        "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
        "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
        "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
    ];

    private static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    private static readonly string[] UpdatableFields =
    [
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        "`spec.containers[*].resources` (for CPU/memory only)",
    ];

    private const string FileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";

    // ------------------------------------------------------------------ pods

    public static void Pod(JsonObject pod, List<FieldError> errs)
    {
        var spec = Read.Obj(pod, "spec") ?? [];
        var specPath = FieldPath.New("spec");
        PodMetadataAndSpec(pod, errs);
        if (Read.Count(spec, "ephemeralContainers") > 0)
        {
            errs.Add(FieldError.Forbidden(specPath.Child("ephemeralContainers"), "cannot be set on create"));
        }
        if ((spec.GetString("nodeName") ?? "").Length > 0 && Read.Count(spec, "schedulingGates") > 0)
        {
            errs.Add(FieldError.Forbidden(specPath.Child("nodeName"), "cannot be set until all schedulingGates have been cleared"));
        }
    }

    /// <summary>validatePodMetadataAndSpec: what every pod, new or updated through any path, must satisfy.</summary>
    public static void PodMetadataAndSpec(JsonObject pod, List<FieldError> errs)
    {
        var spec = Read.Obj(pod, "spec") ?? [];
        var specPath = FieldPath.New("spec");
        PodSpecificAnnotations(errs, Read.Map(pod["metadata"], "annotations"), spec, FieldPath.New("metadata", "annotations"));
        PodSpec(errs, spec, specPath);
        PodOnly(errs, spec, specPath);
    }

    /// <summary>ValidatePodUpdate: the new pod must be valid, and only kube's mutable fields may change.</summary>
    public static void PodUpdate(JsonObject pod, JsonObject old, List<FieldError> errs)
    {
        var spec = Read.Obj(pod, "spec") ?? [];
        var oldSpec = Read.Obj(old, "spec") ?? [];
        var specPath = FieldPath.New("spec");
        var annotationsPath = FieldPath.New("metadata", "annotations");
        PodAnnotationUpdates(errs, Read.Map(pod["metadata"], "annotations"), Read.Map(old["metadata"], "annotations"), annotationsPath);
        PodSpecificAnnotations(errs, Read.Map(pod["metadata"], "annotations"), spec, annotationsPath);
        PodSpec(errs, spec, specPath);
        PodOnly(errs, spec, specPath);

        foreach (var list in new[] { "containers", "initContainers" })
        {
            var now = Read.Items(spec, list);
            if (now.Count != Read.Count(oldSpec, list))
            {
                errs.Add(FieldError.Forbidden(specPath.Child(list), "pod updates may not add or remove containers"));
                return;
            }
            for (var i = 0; i < now.Count; i++)
            {
                var image = now[i].GetString("image") ?? "";
                if (image.Length == 0)
                {
                    errs.Add(FieldError.Required(specPath.Child(list).Index(i).Child("image"), ""));
                }
                if (image.Trim().Length != image.Length)
                {
                    errs.Add(FieldError.Invalid(specPath.Child(list).Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
                }
            }
        }

        var deadline = Read.IntOrNull(spec, "activeDeadlineSeconds");
        var oldDeadline = Read.IntOrNull(oldSpec, "activeDeadlineSeconds");
        if (deadline is { } d)
        {
            if (d is < 0 or > int.MaxValue)
            {
                errs.Add(FieldError.Invalid(specPath.Child("activeDeadlineSeconds"), d, ValueValidation.InclusiveRangeError(0, int.MaxValue)));
                return;
            }
            if (oldDeadline is { } o && o < d)
            {
                errs.Add(FieldError.Invalid(specPath.Child("activeDeadlineSeconds"), d, "must be less than or equal to previous value"));
                return;
            }
        }
        else if (oldDeadline is not null)
        {
            errs.Add(FieldError.Invalid(specPath.Child("activeDeadlineSeconds"), new GoValue("null"), "must not update from a positive integer to nil value"));
        }

        OnlyAddedTolerations(errs, Read.Items(spec, "tolerations"), Read.Items(oldSpec, "tolerations"), specPath.Child("tolerations"));
        OnlyDeletedSchedulingGates(errs, Read.Items(spec, "schedulingGates"), Read.Items(oldSpec, "schedulingGates"), specPath.Child("schedulingGates"));

        if (Read.DeepEquals(spec, oldSpec))
        {
            return;
        }

        // Everything kube lets change is put back to its old value; whatever differs then is refused.
        var munged = (JsonObject)spec.DeepClone();
        foreach (var list in new[] { "containers", "initContainers" })
        {
            var mungedList = Read.Items(munged, list);
            var oldList = Read.Items(oldSpec, list);
            for (var i = 0; i < mungedList.Count; i++)
            {
                mungedList[i]["image"] = oldList[i]["image"]?.DeepClone();
                if (list == "containers")
                {
                    MungeCpuMemory(mungedList[i], oldList[i]);
                }
            }
        }
        Restore(munged, oldSpec, "activeDeadlineSeconds");
        Restore(munged, oldSpec, "schedulingGates");
        Restore(munged, oldSpec, "tolerations");
        if (Read.IntOrNull(oldSpec, "terminationGracePeriodSeconds") is < 0 && Read.IntOrNull(munged, "terminationGracePeriodSeconds") == 1)
        {
            Restore(munged, oldSpec, "terminationGracePeriodSeconds");
        }
        if (Read.Count(oldSpec, "schedulingGates") > 0)
        {
            // A gated pod may still gain node selector entries and node affinity.
            Restore(munged, oldSpec, "nodeSelector");
            Restore(munged, oldSpec, "affinity");
        }

        if (!Read.DeepEquals(munged, oldSpec))
        {
            errs.Add(FieldError.Forbidden(specPath,
                "pod updates may not change fields other than " + string.Join(",", UpdatableFields) + "\n" + SpecDiff(oldSpec, munged)));
        }
    }

    /// <summary>ValidatePodStatusUpdate's rules that hold without a kubelet's view: nodeName, nominated node, conditions.</summary>
    public static void PodStatusUpdate(JsonObject pod, JsonObject old, List<FieldError> errs)
    {
        var annotationsPath = FieldPath.New("metadata", "annotations");
        PodAnnotationUpdates(errs, Read.Map(pod["metadata"], "annotations"), Read.Map(old["metadata"], "annotations"), annotationsPath);
        var statusPath = FieldPath.New("status");
        if ((pod["spec"].GetString("nodeName") ?? "") != (old["spec"].GetString("nodeName") ?? ""))
        {
            errs.Add(FieldError.Forbidden(statusPath.Child("nodeName"), "may not be changed directly"));
        }
        var nominated = pod["status"].GetString("nominatedNodeName") ?? "";
        if (nominated.Length > 0 && nominated != (old["status"].GetString("nominatedNodeName") ?? ""))
        {
            errs.AddRange(NameValidation.NameIsDNSSubdomain(nominated, false).Select(m => FieldError.Invalid(statusPath.Child("nominatedNodeName"), nominated, m)));
        }
        var conditions = Read.Items(pod["status"], "conditions");
        for (var i = 0; i < conditions.Count; i++)
        {
            var type = conditions[i].GetString("type") ?? "";
            errs.AddRange(NameValidation.IsQualifiedName(type).Select(m => FieldError.Invalid(FieldPath.New("metadata", "conditions").Index(i).Child("type"), type, m)));
        }
        foreach (var ip in Read.Items(pod["status"], "podIPs").Select(i => i.GetString("ip") ?? ""))
        {
            errs.AddRange(ValueValidation.IsValidIP(ip).Select(m => FieldError.Invalid(statusPath.Child("podIPs").Index(0).Child("ip"), ip, m)));
        }
    }

    /// <summary>PodTemplate objects: their template (with labels at template.labels, as kube reports them).</summary>
    public static void PodTemplate(JsonObject template, List<FieldError> errs) =>
        TemplateSpec(errs, Read.Obj(template, "template") ?? [], FieldPath.New("template"));

    // ------------------------------------------------------------------ templates

    /// <summary>ValidatePodTemplateSpec, shared by every workload kind.</summary>
    public static void TemplateSpec(List<FieldError> errs, JsonObject template, FieldPath path)
    {
        var metadata = Read.Obj(template, "metadata");
        Common.Labels(errs, Read.Map(metadata, "labels"), path.Child("labels"));
        Common.Annotations(errs, Read.Map(metadata, "annotations"), path.Child("annotations"));
        var spec = Read.Obj(template, "spec") ?? [];
        PodSpecificAnnotations(errs, Read.Map(metadata, "annotations"), spec, path.Child("annotations"));
        PodSpec(errs, spec, path.Child("spec"));
        if (Read.Count(spec, "ephemeralContainers") > 0)
        {
            errs.Add(FieldError.Forbidden(path.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"));
        }
    }

    /// <summary>
    /// The template rules of ReplicaSets, Deployments, DaemonSets and ReplicationControllers: the
    /// selector must match the template's labels, pods restart Always and have no deadline.
    /// </summary>
    public static void TemplateForController(List<FieldError> errs, JsonObject? template, ApiMachinery.Selectors.LabelSelector? selector, FieldPath path, string kindForDeadline)
    {
        if (template is null)
        {
            errs.Add(FieldError.Required(path, ""));
            return;
        }
        var labels = Read.Map(template["metadata"], "labels");
        if (selector is { IsEmpty: false } && !selector.Matches(labels))
        {
            errs.Add(FieldError.Invalid(path.Child("metadata", "labels"), new GoValue(Common.GoStringMap(labels)), "`selector` does not match template `labels`"));
        }
        TemplateSpec(errs, template, path);
        var restartPolicy = template["spec"].GetString("restartPolicy") ?? "";
        if (restartPolicy != "Always")
        {
            errs.Add(FieldError.NotSupported(path.Child("spec", "restartPolicy"), restartPolicy, ["Always"]));
        }
        if (Read.Has(template["spec"], "activeDeadlineSeconds"))
        {
            errs.Add(FieldError.Forbidden(path.Child("spec", "activeDeadlineSeconds"), $"activeDeadlineSeconds in {kindForDeadline} is not Supported"));
        }
    }

    // ------------------------------------------------------------------ the pod spec

    public static void PodSpec(List<FieldError> errs, JsonObject spec, FieldPath path)
    {
        var volumes = Volumes(errs, Read.Items(spec, "volumes"), path.Child("volumes"));
        Containers(errs, Read.Items(spec, "containers"), volumes, path.Child("containers"), required: true, init: false);
        Containers(errs, Read.Items(spec, "initContainers"), volumes, path.Child("initContainers"), required: false, init: true);
        EphemeralContainers(errs, spec, volumes, path.Child("ephemeralContainers"));
        UniqueContainerNames(errs, spec, path);
        Common.OneOf(errs, spec.GetString("restartPolicy") ?? "", path.Child("restartPolicy"), "Always", "OnFailure", "Never");
        Common.OneOf(errs, spec.GetString("dnsPolicy") ?? "", path.Child("dnsPolicy"), "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
        if (spec.GetString("dnsPolicy") == "None" && Read.Count(spec["dnsConfig"], "nameservers") == 0)
        {
            errs.Add(FieldError.Required(path.Child("dnsConfig", "nameservers"), "must provide at least one DNS nameserver when DNSPolicy is None"));
        }
        Common.Labels(errs, Read.Map(spec, "nodeSelector"), path.Child("nodeSelector"));
        SecurityContext(errs, Read.Obj(spec, "securityContext"), path.Child("securityContext"));
        var pullSecrets = Read.Items(spec, "imagePullSecrets");
        for (var i = 0; i < pullSecrets.Count; i++)
        {
            if ((pullSecrets[i].GetString("name") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("imagePullSecrets").Index(i).Child("name"), ""));
            }
        }
        TopologySpreadConstraints(errs, Read.Items(spec, "topologySpreadConstraints"), path.Child("topologySpreadConstraints"));
        if (spec.GetString("serviceAccountName") is { Length: > 0 } serviceAccount)
        {
            Common.NameReference(errs, serviceAccount, path.Child("serviceAccountName"), NameValidation.NameIsDNSSubdomain);
        }
        if (spec.GetString("nodeName") is { Length: > 0 } nodeName)
        {
            Common.NameReference(errs, nodeName, path.Child("nodeName"), NameValidation.NameIsDNSSubdomain);
        }
        if (Read.IntOrNull(spec, "activeDeadlineSeconds") is { } deadline && deadline is < 1 or > int.MaxValue)
        {
            errs.Add(FieldError.Invalid(path.Child("activeDeadlineSeconds"), deadline, ValueValidation.InclusiveRangeError(1, int.MaxValue)));
        }
        if (spec.GetString("hostname") is { Length: > 0 } hostname)
        {
            Common.DNS1123Label(errs, hostname, path.Child("hostname"));
        }
        if (spec.GetString("subdomain") is { Length: > 0 } subdomain)
        {
            Common.DNS1123Label(errs, subdomain, path.Child("subdomain"));
        }
        Tolerations(errs, Read.Items(spec, "tolerations"), path.Child("tolerations"));
        if (spec.GetString("priorityClassName") is { Length: > 0 } priorityClass)
        {
            Common.NameReference(errs, priorityClass, path.Child("priorityClassName"), NameValidation.NameIsDNSSubdomain);
        }
        if (spec.GetString("runtimeClassName") is { } runtimeClass)
        {
            Common.NameReference(errs, runtimeClass, path.Child("runtimeClassName"), NameValidation.NameIsDNSSubdomain);
        }
        if (spec.GetString("preemptionPolicy") is { } preemption)
        {
            Common.OneOf(errs, preemption, path.Child("preemptionPolicy"), "Never", "PreemptLowerPriority");
        }
        if (Read.Obj(spec, "os") is { } os)
        {
            Common.OneOf(errs, os.GetString("name") ?? "", path.Child("os", "name"), "linux", "windows");
        }
    }

    /// <summary>What pods (not templates) must also satisfy.</summary>
    private static void PodOnly(List<FieldError> errs, JsonObject spec, FieldPath specPath)
    {
        if ((spec.GetString("serviceAccountName") ?? "").Length == 0)
        {
            var volumes = Read.Items(spec, "volumes");
            for (var i = 0; i < volumes.Count; i++)
            {
                var sources = Read.Items(volumes[i]["projected"], "sources");
                for (var j = 0; j < sources.Count; j++)
                {
                    if (Read.Has(sources[j], "serviceAccountToken"))
                    {
                        errs.Add(FieldError.Forbidden(specPath.Child("volumes").Index(i).Child("projected", "sources").Index(j).Child("serviceAccountToken"),
                            "must not be specified when serviceAccountName is not set"));
                    }
                }
            }
        }
        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            var containers = Read.Items(spec, list);
            for (var i = 0; i < containers.Count; i++)
            {
                var image = containers[i].GetString("image") ?? "";
                if (image.Trim().Length != image.Length)
                {
                    errs.Add(FieldError.Invalid(specPath.Child(list).Index(i).Child("image"), image, "must not have leading or trailing whitespace"));
                }
            }
        }
    }

    private static void PodSpecificAnnotations(List<FieldError> errs, IReadOnlyDictionary<string, string> annotations, JsonObject spec, FieldPath path)
    {
        if (annotations.TryGetValue("kubernetes.io/config.mirror", out var mirror) && (spec.GetString("nodeName") ?? "").Length == 0)
        {
            errs.Add(FieldError.Invalid(path.Key("kubernetes.io/config.mirror"), mirror, "must set spec.nodeName if mirror pod annotation is set"));
        }
        if (annotations.TryGetValue("controller.kubernetes.io/pod-deletion-cost", out var cost) && !int.TryParse(cost, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            errs.Add(FieldError.Invalid(path.Key("controller.kubernetes.io/pod-deletion-cost"), cost, "must be a 32bit integer"));
        }
    }

    public static void PodAnnotationUpdates(List<FieldError> errs, IReadOnlyDictionary<string, string> now, IReadOnlyDictionary<string, string> before, FieldPath path)
    {
        const string mirror = "kubernetes.io/config.mirror";
        if (before.TryGetValue(mirror, out var was) && (!now.TryGetValue(mirror, out var isNow) || isNow != was))
        {
            errs.Add(FieldError.Forbidden(path.Key(mirror), "may not remove or update mirror pod annotation"));
        }
        if (!before.ContainsKey(mirror) && now.ContainsKey(mirror))
        {
            errs.Add(FieldError.Forbidden(path.Key(mirror), "may not add mirror pod annotation"));
        }
    }

    // ------------------------------------------------------------------ volumes

    /// <summary>ValidateVolumes; answers the volumes' names for the mounts' lookups.</summary>
    public static HashSet<string> Volumes(List<FieldError> errs, IReadOnlyList<JsonObject> volumes, FieldPath path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < volumes.Count; i++)
        {
            var volume = volumes[i];
            var idx = path.Index(i);
            var name = volume.GetString("name") ?? "";
            VolumeSource(errs, volume, idx);
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("name"), ""));
            }
            else
            {
                Common.DNS1123Label(errs, name, idx.Child("name"));
            }
            if (!names.Add(name))
            {
                errs.Add(FieldError.Duplicate(idx.Child("name"), name));
            }
        }
        return names;
    }

    private static void VolumeSource(List<FieldError> errs, JsonObject volume, FieldPath path)
    {
        var count = 0;
        foreach (var source in VolumeSources)
        {
            if (!Read.Has(volume, source))
            {
                continue;
            }
            if (count++ > 0)
            {
                errs.Add(FieldError.Forbidden(path.Child(source), "may not specify more than 1 volume type"));
                continue;
            }
            var s = Read.Obj(volume, source) ?? [];
            var p = path.Child(source);
            switch (source)
            {
                case "hostPath":
                    var hostPath = s.GetString("path") ?? "";
                    if (hostPath.Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("path"), ""));
                    }
                    else
                    {
                        NoBacksteps(errs, hostPath, p.Child("path"));
                    }
                    if (s.GetString("type") is { Length: > 0 } type)
                    {
                        Common.OptionalOneOf(errs, type, p.Child("type"), "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice");
                    }
                    break;
                case "emptyDir":
                    if (Common.Quantity(s["sizeLimit"]) is { } limit && limit.Value < 0)
                    {
                        errs.Add(FieldError.Forbidden(p.Child("sizeLimit"), "SizeLimit field must be a valid resource quantity"));
                    }
                    break;
                case "secret":
                    if ((s.GetString("secretName") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("secretName"), ""));
                    }
                    FileMode(errs, s, "defaultMode", p);
                    KeysToPaths(errs, Read.Items(s, "items"), p.Child("items"));
                    break;
                case "configMap":
                    if ((s.GetString("name") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("name"), ""));
                    }
                    FileMode(errs, s, "defaultMode", p);
                    KeysToPaths(errs, Read.Items(s, "items"), p.Child("items"));
                    break;
                case "persistentVolumeClaim":
                    if ((s.GetString("claimName") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("claimName"), ""));
                    }
                    break;
                case "nfs":
                    if ((s.GetString("server") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("server"), ""));
                    }
                    var nfsPath = s.GetString("path") ?? "";
                    if (nfsPath.Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("path"), ""));
                    }
                    else if (!nfsPath.StartsWith('/'))
                    {
                        errs.Add(FieldError.Invalid(p.Child("path"), nfsPath, "must be an absolute path"));
                    }
                    break;
                case "csi":
                    if ((s.GetString("driver") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("driver"), ""));
                    }
                    break;
                case "downwardAPI":
                    FileMode(errs, s, "defaultMode", p);
                    break;
                case "projected":
                    FileMode(errs, s, "defaultMode", p);
                    break;
                case "image":
                    if ((s.GetString("reference") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("reference"), ""));
                    }
                    break;
            }
        }
        if (count == 0)
        {
            errs.Add(FieldError.Required(path, "must specify a volume type"));
        }
    }

    private static void FileMode(List<FieldError> errs, JsonObject source, string field, FieldPath path)
    {
        if (Read.IntOrNull(source, field) is { } mode && mode is < 0 or > 511)
        {
            errs.Add(FieldError.Invalid(path.Child(field), mode, FileModeErrorMsg));
        }
    }

    private static void KeysToPaths(List<FieldError> errs, IReadOnlyList<JsonObject> items, FieldPath path)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var idx = path.Index(i);
            if ((items[i].GetString("key") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("key"), ""));
            }
            var itemPath = items[i].GetString("path") ?? "";
            if (itemPath.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("path"), ""));
            }
            LocalDescendingPath(errs, itemPath, idx.Child("path"));
            FileMode(errs, items[i], "mode", idx);
        }
    }

    /// <summary>validateLocalDescendingPath: relative, no ".." element.</summary>
    public static void LocalDescendingPath(List<FieldError> errs, string value, FieldPath path)
    {
        if (value.StartsWith('/'))
        {
            errs.Add(FieldError.Invalid(path, value, "must be a relative path"));
        }
        NoBacksteps(errs, value, path);
    }

    private static void NoBacksteps(List<FieldError> errs, string value, FieldPath path)
    {
        if (value.Split('/', '\\').Contains(".."))
        {
            errs.Add(FieldError.Invalid(path, value, "must not contain '..'"));
        }
    }

    // ------------------------------------------------------------------ containers

    private static void Containers(List<FieldError> errs, IReadOnlyList<JsonObject> containers, HashSet<string> volumes, FieldPath path, bool required, bool init)
    {
        if (required && containers.Count == 0)
        {
            errs.Add(FieldError.Required(path, ""));
        }
        var hostPorts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i];
            var idx = path.Index(i);
            Container(errs, container, volumes, idx);
            if (!init)
            {
                Probe(errs, Read.Obj(container, "livenessProbe"), idx.Child("livenessProbe"), successMustBeOne: true);
                Probe(errs, Read.Obj(container, "readinessProbe"), idx.Child("readinessProbe"), successMustBeOne: false);
                Probe(errs, Read.Obj(container, "startupProbe"), idx.Child("startupProbe"), successMustBeOne: true);
            }
            else if (container.GetString("restartPolicy") is { } restart)
            {
                Common.OneOf(errs, restart, idx.Child("restartPolicy"), "Always");
            }
            var ports = Read.Items(container, "ports");
            for (var j = 0; j < ports.Count; j++)
            {
                var hostPort = Read.Int(ports[j], "hostPort");
                if (hostPort == 0)
                {
                    continue;
                }
                var key = (ports[j].GetString("protocol") ?? "") + "/" + (ports[j].GetString("hostIP") ?? "") + "/" + hostPort;
                if (!hostPorts.Add(key))
                {
                    errs.Add(FieldError.Duplicate(idx.Child("ports").Index(j).Child("hostPort"), new GoValue($"\"{key}\"")));
                }
            }
        }
    }

    /// <summary>
    /// The fields an ephemeral container may set (kube's allowedEphemeralContainerFields); the others
    /// (ports, probes, lifecycle, resources, resize and restart policies) would make it part of the workload.
    /// </summary>
    private static readonly string[] EphemeralContainerForbiddenFields =
        ["ports", "resources", "resizePolicy", "restartPolicy", "restartPolicyRules", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"];

    /// <summary>validateEphemeralContainers (names are checked with every container's in UniqueContainerNames).</summary>
    private static void EphemeralContainers(List<FieldError> errs, JsonObject spec, HashSet<string> volumes, FieldPath path)
    {
        var containers = Read.Items(spec, "ephemeralContainers");
        if (containers.Count == 0)
        {
            return;
        }

        var targets = Read.Items(spec, "containers").Concat(Read.Items(spec, "initContainers")).Select(c => c.GetString("name") ?? "").ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var idx = path.Index(i);
            Container(errs, containers[i], volumes, idx);
            if (containers[i].GetString("targetContainerName") is { Length: > 0 } target && !targets.Contains(target))
            {
                errs.Add(FieldError.NotFound(idx.Child("targetContainerName"), target));
            }

            foreach (var field in EphemeralContainerForbiddenFields)
            {
                if (!IsZero(containers[i][field]))
                {
                    errs.Add(FieldError.Forbidden(idx.Child(field), "cannot be set for an Ephemeral Container"));
                }
            }

            var mounts = Read.Items(containers[i], "volumeMounts");
            for (var j = 0; j < mounts.Count; j++)
            {
                foreach (var field in new[] { "subPath", "subPathExpr" })
                {
                    if ((mounts[j].GetString(field) ?? "").Length > 0)
                    {
                        errs.Add(FieldError.Forbidden(idx.Child("volumeMounts").Index(j).Child(field), "cannot be set for an Ephemeral Container"));
                    }
                }
            }
        }
    }

    /// <summary>A Go zero value: absent, null, "", an empty list, or a struct whose fields are all zero.</summary>
    private static bool IsZero(JsonNode? node) => node switch
    {
        null => true,
        JsonObject o => o.All(p => IsZero(p.Value)),
        JsonArray a => a.Count == 0,
        JsonValue v => v.ToJsonString() is "\"\"" or "0" or "false" or "null",
        _ => false,
    };

    private static void UniqueContainerNames(List<FieldError> errs, JsonObject spec, FieldPath path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "containers", "initContainers", "ephemeralContainers" })
        {
            var containers = Read.Items(spec, list);
            for (var i = 0; i < containers.Count; i++)
            {
                var name = containers[i].GetString("name") ?? "";
                if (name.Length > 0 && !seen.Add(name))
                {
                    errs.Add(FieldError.Duplicate(path.Child(list).Index(i).Child("name"), name));
                }
            }
        }
    }

    /// <summary>validateContainerCommon.</summary>
    private static void Container(List<FieldError> errs, JsonObject container, HashSet<string> volumes, FieldPath path)
    {
        var name = container.GetString("name") ?? "";
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("name"), ""));
        }
        else
        {
            Common.DNS1123Label(errs, name, path.Child("name"));
        }
        if ((container.GetString("image") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("image"), ""));
        }
        var terminationPolicy = container.GetString("terminationMessagePolicy") ?? "";
        if (terminationPolicy.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("terminationMessagePolicy"), "must be 'File' or 'FallbackToLogsOnError'"));
        }
        else if (terminationPolicy is not ("File" or "FallbackToLogsOnError"))
        {
            errs.Add(FieldError.Invalid(path.Child("terminationMessagePolicy"), terminationPolicy, "must be 'File' or 'FallbackToLogsOnError'"));
        }
        ContainerPorts(errs, Read.Items(container, "ports"), path.Child("ports"));
        Env(errs, Read.Items(container, "env"), path.Child("env"));
        EnvFrom(errs, Read.Items(container, "envFrom"), path.Child("envFrom"));
        VolumeMounts(errs, Read.Items(container, "volumeMounts"), volumes, path.Child("volumeMounts"));
        Common.OneOf(errs, container.GetString("imagePullPolicy") ?? "", path.Child("imagePullPolicy"), "Always", "IfNotPresent", "Never");
        ResourceRequirements(errs, Read.Obj(container, "resources"), path.Child("resources"));
        ContainerSecurityContext(errs, Read.Obj(container, "securityContext"), path.Child("securityContext"));
    }

    private static void ContainerPorts(List<FieldError> errs, IReadOnlyList<JsonObject> ports, FieldPath path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var idx = path.Index(i);
            var name = port.GetString("name") ?? "";
            if (name.Length > 0)
            {
                var messages = ValueValidation.IsValidPortName(name);
                if (messages.Count > 0)
                {
                    errs.AddRange(messages.Select(m => FieldError.Invalid(idx.Child("name"), name, m)));
                }
                else if (!names.Add(name))
                {
                    errs.Add(FieldError.Duplicate(idx.Child("name"), name));
                }
            }
            var containerPort = Read.Int(port, "containerPort");
            if (containerPort == 0)
            {
                errs.Add(FieldError.Required(idx.Child("containerPort"), ""));
            }
            else
            {
                errs.AddRange(ValueValidation.IsValidPortNum(containerPort).Select(m => FieldError.Invalid(idx.Child("containerPort"), containerPort, m)));
            }
            var hostPort = Read.Int(port, "hostPort");
            if (hostPort != 0)
            {
                errs.AddRange(ValueValidation.IsValidPortNum(hostPort).Select(m => FieldError.Invalid(idx.Child("hostPort"), hostPort, m)));
            }
            Common.OneOf(errs, port.GetString("protocol") ?? "", idx.Child("protocol"), Protocols);
        }
    }

    private static void Env(List<FieldError> errs, IReadOnlyList<JsonObject> env, FieldPath path)
    {
        for (var i = 0; i < env.Count; i++)
        {
            var idx = path.Index(i);
            var name = env[i].GetString("name") ?? "";
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("name"), ""));
            }
            errs.AddRange(ValueValidation.IsEnvVarName(name).Select(m => FieldError.Invalid(idx.Child("name"), name, m)));
            if (Read.Obj(env[i], "valueFrom") is not { } from)
            {
                continue;
            }
            var fromPath = idx.Child("valueFrom");
            var sources = 0;
            if (Read.Obj(from, "fieldRef") is { } fieldRef)
            {
                sources++;
                ObjectFieldSelector(errs, fieldRef, fromPath.Child("fieldRef"));
            }
            if (Read.Obj(from, "resourceFieldRef") is { } resourceRef)
            {
                sources++;
                if ((resourceRef.GetString("resource") ?? "").Length == 0)
                {
                    errs.Add(FieldError.Required(fromPath.Child("resourceFieldRef", "resource"), ""));
                }
            }
            foreach (var keyRef in new[] { "configMapKeyRef", "secretKeyRef" })
            {
                if (Read.Obj(from, keyRef) is not { } selector)
                {
                    continue;
                }
                sources++;
                var refPath = fromPath.Child(keyRef);
                var refName = selector.GetString("name") ?? "";
                errs.AddRange(NameValidation.NameIsDNSSubdomain(refName, false).Select(m => FieldError.Invalid(refPath.Child("name"), refName, m)));
                var key = selector.GetString("key") ?? "";
                if (key.Length == 0)
                {
                    errs.Add(FieldError.Required(refPath.Child("key"), ""));
                }
                else
                {
                    errs.AddRange(ValueValidation.IsConfigMapKey(key).Select(m => FieldError.Invalid(refPath.Child("key"), key, m)));
                }
            }
            if (Read.Has(from, "fileKeyRef"))
            {
                sources++;
            }
            if (sources == 0)
            {
                errs.Add(FieldError.Invalid(fromPath, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
            }
            else if ((env[i].GetString("value") ?? "").Length != 0)
            {
                errs.Add(FieldError.Invalid(fromPath, "", "may not be specified when `value` is not empty"));
            }
            else if (sources > 1)
            {
                errs.Add(FieldError.Invalid(fromPath, "", "may not have more than one field specified at a time"));
            }
        }
    }

    private static readonly string[] EnvFieldPaths =
    [
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
        "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    private static void ObjectFieldSelector(List<FieldError> errs, JsonObject fieldRef, FieldPath path)
    {
        var apiVersion = fieldRef.GetString("apiVersion") ?? "";
        var fieldPath = fieldRef.GetString("fieldPath") ?? "";
        if (apiVersion.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("apiVersion"), ""));
            return;
        }
        if (fieldPath.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("fieldPath"), ""));
            return;
        }
        var subscript = fieldPath.IndexOf('[', StringComparison.Ordinal);
        var plain = subscript < 0 ? fieldPath : fieldPath[..subscript];
        if (subscript >= 0 && plain is "metadata.annotations" or "metadata.labels")
        {
            return;
        }
        if (!EnvFieldPaths.Contains(plain, StringComparer.Ordinal) || plain is "metadata.annotations" or "metadata.labels")
        {
            errs.Add(FieldError.NotSupported(path.Child("fieldPath"), fieldPath, EnvFieldPaths));
        }
    }

    private static void EnvFrom(List<FieldError> errs, IReadOnlyList<JsonObject> envFrom, FieldPath path)
    {
        for (var i = 0; i < envFrom.Count; i++)
        {
            var idx = path.Index(i);
            var sources = 0;
            foreach (var source in new[] { "configMapRef", "secretRef" })
            {
                if (Read.Obj(envFrom[i], source) is not { } reference)
                {
                    continue;
                }
                sources++;
                var name = reference.GetString("name") ?? "";
                errs.AddRange(NameValidation.NameIsDNSSubdomain(name, false).Select(m => FieldError.Invalid(idx.Child(source, "name"), name, m)));
            }
            if (sources == 0)
            {
                errs.Add(FieldError.Invalid(idx, "", "must specify one of: `configMapRef` or `secretRef`"));
            }
            else if (sources > 1)
            {
                errs.Add(FieldError.Invalid(idx, "", "may not have more than one field specified at a time"));
            }
        }
    }

    private static void VolumeMounts(List<FieldError> errs, IReadOnlyList<JsonObject> mounts, HashSet<string> volumes, FieldPath path)
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var idx = path.Index(i);
            var name = mounts[i].GetString("name") ?? "";
            if (name.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("name"), ""));
            }
            if (!volumes.Contains(name))
            {
                errs.Add(FieldError.NotFound(idx.Child("name"), name));
            }
            var mountPath = mounts[i].GetString("mountPath") ?? "";
            if (mountPath.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("mountPath"), ""));
            }
            if (!mountPoints.Add(mountPath))
            {
                errs.Add(FieldError.Invalid(idx.Child("mountPath"), mountPath, "must be unique"));
            }
            var subPath = mounts[i].GetString("subPath") ?? "";
            if (subPath.Length > 0)
            {
                LocalDescendingPath(errs, subPath, path.Child("subPath"));
            }
            if ((mounts[i].GetString("subPathExpr") ?? "").Length > 0 && subPath.Length > 0)
            {
                errs.Add(FieldError.Invalid(idx.Child("subPathExpr"), mounts[i].GetString("subPathExpr") ?? "", "subPathExpr and subPath are mutually exclusive"));
            }
            if (mounts[i].GetString("mountPropagation") is { } propagation)
            {
                Common.OneOf(errs, propagation, idx.Child("mountPropagation"), "Bidirectional", "HostToContainer", "None");
            }
        }
    }

    /// <summary>ValidateResourceRequirements: names, non-negative quantities, requests at most limits.</summary>
    public static void ResourceRequirements(List<FieldError> errs, JsonObject? resources, FieldPath path)
    {
        var limits = Read.Obj(resources, "limits") ?? [];
        var requests = Read.Obj(resources, "requests") ?? [];
        var limitsPath = path.Child("limits");
        var requestsPath = path.Child("requests");
        foreach (var (name, value) in limits)
        {
            ContainerResourceName(errs, name, limitsPath.Key(name));
            Common.NonNegativeQuantity(errs, value, limitsPath.Key(name));
        }
        foreach (var (name, value) in requests)
        {
            ContainerResourceName(errs, name, requestsPath.Key(name));
            Common.NonNegativeQuantity(errs, value, requestsPath.Key(name));
            var overcommitAllowed = !name.StartsWith("hugepages-", StringComparison.Ordinal) && (!name.Contains('/') || name.StartsWith("kubernetes.io/", StringComparison.Ordinal));
            if (Common.Quantity(value) is not { } request)
            {
                continue;
            }
            if (limits[name] is { } limitNode && Common.Quantity(limitNode) is { } limit)
            {
                if (request.Value != limit.Value && !overcommitAllowed)
                {
                    errs.Add(FieldError.Invalid(requestsPath, request.ToString(), $"must be equal to {name} limit of {limit}"));
                }
                else if (request.Value > limit.Value)
                {
                    errs.Add(FieldError.Invalid(requestsPath, request.ToString(), $"must be less than or equal to {name} limit of {limit}"));
                }
            }
            else if (!overcommitAllowed)
            {
                errs.Add(FieldError.Required(limitsPath, "Limit must be set for non overcommitable resources"));
            }
        }
    }

    private static void ContainerResourceName(List<FieldError> errs, string name, FieldPath path)
    {
        errs.AddRange(NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid(path, name, m)));
        if (!name.Contains('/'))
        {
            if (name is not ("cpu" or "memory" or "ephemeral-storage") && !name.StartsWith("hugepages-", StringComparison.Ordinal))
            {
                errs.Add(FieldError.Invalid(path, name, "must be a standard resource for containers"));
            }
        }
        else if (!name.StartsWith("kubernetes.io/", StringComparison.Ordinal) && name.Contains("kubernetes.io/", StringComparison.Ordinal) && !name.StartsWith("requests.", StringComparison.Ordinal))
        {
            errs.Add(FieldError.Invalid(path, name, "doesn't follow extended resource name standard"));
        }
    }

    private static void Probe(List<FieldError> errs, JsonObject? probe, FieldPath path, bool successMustBeOne)
    {
        if (probe is null)
        {
            return;
        }
        var handlers = 0;
        foreach (var handler in new[] { "exec", "httpGet", "tcpSocket", "grpc" })
        {
            if (Read.Obj(probe, handler) is not { } h)
            {
                continue;
            }
            if (handlers++ > 0)
            {
                errs.Add(FieldError.Forbidden(path.Child(handler), "may not specify more than 1 handler type"));
                continue;
            }
            var p = path.Child(handler);
            switch (handler)
            {
                case "exec":
                    if (Read.Count(h, "command") == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("command"), ""));
                    }
                    break;
                case "httpGet":
                    if ((h.GetString("path") ?? "").Length == 0)
                    {
                        errs.Add(FieldError.Required(p.Child("path"), ""));
                    }
                    Common.PortNumOrName(errs, h["port"], p.Child("port"));
                    Common.OneOf(errs, h.GetString("scheme") ?? "", p.Child("scheme"), "HTTP", "HTTPS");
                    foreach (var header in Read.Items(h, "httpHeaders").Select(x => x.GetString("name") ?? ""))
                    {
                        errs.AddRange(ValueValidation.IsHttpHeaderName(header).Select(m => FieldError.Invalid(p.Child("httpHeaders"), header, m)));
                    }
                    break;
                case "tcpSocket":
                    Common.PortNumOrName(errs, h["port"], p.Child("port"));
                    break;
                case "grpc":
                    var port = Read.Int(h, "port");
                    errs.AddRange(ValueValidation.IsValidPortNum(port).Select(m => FieldError.Invalid(p.Child("port"), port, m)));
                    break;
            }
        }
        if (handlers == 0)
        {
            errs.Add(FieldError.Required(path, "must specify a handler type"));
        }
        foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
        {
            Common.NonNegative(errs, Read.Int(probe, field), path.Child(field));
        }
        if (Read.IntOrNull(probe, "terminationGracePeriodSeconds") is { } grace && grace <= 0)
        {
            errs.Add(FieldError.Invalid(path.Child("terminationGracePeriodSeconds"), grace, "must be greater than 0"));
        }
        if (successMustBeOne && Read.Int(probe, "successThreshold") != 1)
        {
            errs.Add(FieldError.Invalid(path.Child("successThreshold"), Read.Int(probe, "successThreshold"), "must be 1"));
        }
    }

    private static void SecurityContext(List<FieldError> errs, JsonObject? context, FieldPath path)
    {
        if (context is null)
        {
            return;
        }
        foreach (var (field, isGroup) in new[] { ("fsGroup", true), ("runAsUser", false), ("runAsGroup", true) })
        {
            if (Read.IntOrNull(context, field) is { } id)
            {
                errs.AddRange(ValueValidation.IsValidUserOrGroupId(id).Select(m => FieldError.Invalid(path.Child(field), id, m)));
            }
        }
        var groups = context["supplementalGroups"] as JsonArray ?? [];
        for (var i = 0; i < groups.Count; i++)
        {
            if (Common.Printable(groups[i]) is long gid)
            {
                errs.AddRange(ValueValidation.IsValidUserOrGroupId(gid).Select(m => FieldError.Invalid(path.Child("supplementalGroups").Index(i), gid, m)));
            }
        }
        if (context.GetString("fsGroupChangePolicy") is { } policy)
        {
            Common.OptionalOneOf(errs, policy, path.Child("fsGroupChangePolicy"), "OnRootMismatch", "Always");
        }
        SeccompProfile(errs, Read.Obj(context, "seccompProfile"), path.Child("seccompProfile"));
    }

    private static void ContainerSecurityContext(List<FieldError> errs, JsonObject? context, FieldPath path)
    {
        if (context is null)
        {
            return;
        }
        foreach (var field in new[] { "runAsUser", "runAsGroup" })
        {
            if (Read.IntOrNull(context, field) is { } id)
            {
                errs.AddRange(ValueValidation.IsValidUserOrGroupId(id).Select(m => FieldError.Invalid(path.Child(field), id, m)));
            }
        }
        if (Read.BoolOrNull(context, "privileged") == true && Read.BoolOrNull(context, "allowPrivilegeEscalation") == false)
        {
            errs.Add(FieldError.Invalid(path, new GoValue("&core.SecurityContext{...}"), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
        }
        SeccompProfile(errs, Read.Obj(context, "seccompProfile"), path.Child("seccompProfile"));
    }

    private static void SeccompProfile(List<FieldError> errs, JsonObject? profile, FieldPath path)
    {
        if (profile is null)
        {
            return;
        }
        var type = profile.GetString("type") ?? "";
        if (type.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("type"), "type is required when seccompProfile is set"));
        }
        else if (type is not ("Localhost" or "RuntimeDefault" or "Unconfined"))
        {
            errs.Add(FieldError.NotSupported(path.Child("type"), type, ["Localhost", "RuntimeDefault", "Unconfined"]));
        }
        else if (type == "Localhost" && (profile.GetString("localhostProfile") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("localhostProfile"), "must be set when seccomp type is Localhost"));
        }
        else if (type != "Localhost" && Read.Has(profile, "localhostProfile"))
        {
            errs.Add(FieldError.Invalid(path.Child("localhostProfile"), profile.GetString("localhostProfile") ?? "", "can only be set when seccomp type is Localhost"));
        }
    }

    // ------------------------------------------------------------------ scheduling

    public static void Tolerations(List<FieldError> errs, IReadOnlyList<JsonObject> tolerations, FieldPath path)
    {
        for (var i = 0; i < tolerations.Count; i++)
        {
            var t = tolerations[i];
            var idx = path.Index(i);
            var key = t.GetString("key") ?? "";
            var op = t.GetString("operator") ?? "";
            var effect = t.GetString("effect") ?? "";
            if (key.Length > 0)
            {
                errs.AddRange(ObjectMetaValidator.ValidateLabelName(key, idx.Child("key")));
            }
            if (key.Length == 0 && op != "Exists")
            {
                errs.Add(FieldError.Invalid(idx.Child("operator"), op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }
            if (Read.Has(t, "tolerationSeconds") && effect != "NoExecute")
            {
                errs.Add(FieldError.Invalid(idx.Child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }
            var value = t.GetString("value") ?? "";
            switch (op)
            {
                case "Equal" or "":
                    var problems = NameValidation.IsValidLabelValue(value);
                    if (problems.Count > 0)
                    {
                        errs.Add(FieldError.Invalid(idx.Child("operator"), value, string.Join(";", problems)));
                    }
                    break;
                case "Exists":
                    if (value.Length > 0)
                    {
                        errs.Add(FieldError.Invalid(idx.Child("operator"), new GoValue(TolerationText(t)), "value must be empty when `operator` is 'Exists'"));
                    }
                    break;
                default:
                    errs.Add(FieldError.NotSupported(idx.Child("operator"), op, ["Equal", "Exists"]));
                    break;
            }
            if (effect.Length > 0)
            {
                Common.OptionalOneOf(errs, effect, idx.Child("effect"), "NoSchedule", "PreferNoSchedule", "NoExecute");
            }
        }
    }

    private static string TolerationText(JsonObject t) =>
        $"core.Toleration{{Key:{ApiMachinery.Text.GoText.Quote(t.GetString("key") ?? "")}, Operator:{ApiMachinery.Text.GoText.Quote(t.GetString("operator") ?? "")}, Value:{ApiMachinery.Text.GoText.Quote(t.GetString("value") ?? "")}, Effect:{ApiMachinery.Text.GoText.Quote(t.GetString("effect") ?? "")}, TolerationSeconds:(*int64)(nil)}}";

    private static void TopologySpreadConstraints(List<FieldError> errs, IReadOnlyList<JsonObject> constraints, FieldPath path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < constraints.Count; i++)
        {
            var c = constraints[i];
            var idx = path.Index(i);
            var maxSkew = Read.Int(c, "maxSkew");
            if (maxSkew <= 0)
            {
                errs.Add(FieldError.Invalid(idx.Child("maxSkew"), maxSkew, "must be greater than zero"));
            }
            var key = c.GetString("topologyKey") ?? "";
            if (key.Length == 0)
            {
                errs.Add(FieldError.Required(idx.Child("topologyKey"), "can not be empty"));
            }
            else
            {
                errs.AddRange(ObjectMetaValidator.ValidateLabelName(key, idx.Child("topologyKey")));
            }
            var when = c.GetString("whenUnsatisfiable") ?? "";
            if (when is not ("DoNotSchedule" or "ScheduleAnyway"))
            {
                errs.Add(FieldError.NotSupported(idx.Child("whenUnsatisfiable"), when, ["DoNotSchedule", "ScheduleAnyway"]));
            }
            if (!seen.Add(key + "/" + when))
            {
                errs.Add(FieldError.Duplicate(idx, new GoValue($"{{{key}, {when}}}")));
            }
            if (Read.IntOrNull(c, "minDomains") is { } minDomains)
            {
                if (minDomains <= 0)
                {
                    errs.Add(FieldError.Invalid(idx.Child("minDomains"), minDomains, "must be greater than 0"));
                }
                else if (when != "DoNotSchedule")
                {
                    errs.Add(FieldError.Invalid(idx.Child("minDomains"), minDomains, "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"));
                }
            }
            Common.LabelSelector(errs, Read.Obj(c, "labelSelector"), idx.Child("labelSelector"));
        }
    }

    private static void OnlyAddedTolerations(List<FieldError> errs, IReadOnlyList<JsonObject> now, IReadOnlyList<JsonObject> before, FieldPath path)
    {
        foreach (var old in before)
        {
            var kept = now.Any(t => (t.GetString("key") ?? "") == (old.GetString("key") ?? "") && (t.GetString("operator") ?? "") == (old.GetString("operator") ?? "")
                && (t.GetString("value") ?? "") == (old.GetString("value") ?? "") && (t.GetString("effect") ?? "") == (old.GetString("effect") ?? "")
                && (Read.IntOrNull(old, "tolerationSeconds") is not { } seconds
                    || Read.IntOrNull(t, "tolerationSeconds") is { } newSeconds && (seconds <= 0 ? newSeconds <= 0 : newSeconds > 0 && newSeconds <= seconds)));
            if (!kept)
            {
                errs.Add(FieldError.Forbidden(path, "existing toleration can not be modified except its tolerationSeconds"));
                return;
            }
        }
        Tolerations(errs, now, path);
    }

    private static void OnlyDeletedSchedulingGates(List<FieldError> errs, IReadOnlyList<JsonObject> now, IReadOnlyList<JsonObject> before, FieldPath path)
    {
        if (now.Count == 0)
        {
            return;
        }
        var old = before.Select(g => g.GetString("name") ?? "").ToHashSet(StringComparer.Ordinal);
        foreach (var gate in now.Select(g => g.GetString("name") ?? ""))
        {
            if (!old.Contains(gate))
            {
                errs.Add(FieldError.Forbidden(path, "only deletion is allowed, but found new scheduling gate '" + gate + "'"));
            }
        }
    }

    // ------------------------------------------------------------------ update helpers

    private static void Restore(JsonObject target, JsonObject source, string field)
    {
        if (source[field] is { } value)
        {
            target[field] = value.DeepClone();
        }
        else
        {
            target.Remove(field);
        }
    }

    private static void MungeCpuMemory(JsonObject container, JsonObject old)
    {
        var resources = Read.Obj(container, "resources") ?? [];
        foreach (var list in new[] { "limits", "requests" })
        {
            if (Read.Obj(old["resources"], list) is not { } oldList)
            {
                continue;
            }
            var munged = Read.Obj(resources, list)?.DeepClone() as JsonObject ?? [];
            munged.Remove("cpu");
            munged.Remove("memory");
            foreach (var name in new[] { "cpu", "memory" })
            {
                if (oldList[name] is { } value)
                {
                    munged[name] = value.DeepClone();
                }
            }
            resources[list] = munged;
        }
        container["resources"] = resources;
    }

    /// <summary>
    /// A short account of what differs (kube prints go-cmp's diff of the Go structs, which cannot be
    /// reproduced field for field; clients match the message before it).
    /// </summary>
    private static string SpecDiff(JsonObject old, JsonObject now)
    {
        var sb = new StringBuilder("  core.PodSpec{\n");
        foreach (var key in old.Select(p => p.Key).Union(now.Select(p => p.Key)).Order(StringComparer.Ordinal))
        {
            if (Read.DeepEquals(old[key], now[key]))
            {
                continue;
            }
            if (old[key] is { } before)
            {
                sb.Append("- \t").Append(key).Append(": ").Append(before.ToJsonString()).Append(",\n");
            }
            if (now[key] is { } after)
            {
                sb.Append("+ \t").Append(key).Append(": ").Append(after.ToJsonString()).Append(",\n");
            }
        }
        return sb.Append("  }\n").ToString();
    }
}
