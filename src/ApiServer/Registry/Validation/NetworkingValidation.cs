using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>
/// networking.k8s.io/v1 (kube's pkg/apis/networking/validation): Ingress, IngressClass,
/// NetworkPolicy, IPAddress, ServiceCIDR.
/// </summary>
internal static class NetworkingValidation
{
    private static readonly string[] Protocols = ["TCP", "UDP", "SCTP"];

    // ------------------------------------------------------------------ Ingress

    public static void Ingress(JsonObject ingress, List<FieldError> errs)
    {
        var spec = Read.Obj(ingress, "spec") ?? [];
        var path = FieldPath.New("spec");
        var rules = Read.Items(spec, "rules");
        if (rules.Count == 0 && !Read.Has(spec, "defaultBackend"))
        {
            errs.Add(FieldError.Invalid(path, new GoValue(rules.Count == 0 && !Read.Has(spec, "rules") ? "[]networking.IngressRule(nil)" : "[]networking.IngressRule{}"),
                "either `defaultBackend` or `rules` must be specified"));
        }
        if (Read.Obj(spec, "defaultBackend") is { } backend)
        {
            Backend(errs, backend, path.Child("defaultBackend"));
        }
        for (var i = 0; i < rules.Count; i++)
        {
            var idx = path.Child("rules").Index(i);
            var host = rules[i].GetString("host") ?? "";
            if (host.Length > 0)
            {
                if (ValueValidation.ParseIP(host) is not null)
                {
                    errs.Add(FieldError.Invalid(idx.Child("host"), host, "must be a DNS name, not an IP address"));
                }
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    if (NameValidation.IsDNS1123Subdomain(host[2..]).Count > 0)
                    {
                        errs.Add(FieldError.Invalid(idx.Child("host"), host,
                            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
                    }
                }
                else
                {
                    Common.DNS1123Subdomain(errs, host, idx.Child("host"));
                }
            }
            if (Read.Obj(rules[i], "http") is { } http)
            {
                var paths = Read.Items(http, "paths");
                if (paths.Count == 0)
                {
                    errs.Add(FieldError.Required(idx.Child("http", "paths"), ""));
                }
                for (var j = 0; j < paths.Count; j++)
                {
                    HttpPath(errs, paths[j], idx.Child("http", "paths").Index(j));
                }
            }
        }
        var tls = Read.Items(spec, "tls");
        for (var i = 0; i < tls.Count; i++)
        {
            var hosts = Read.Strings(tls[i], "hosts");
            for (var j = 0; j < hosts.Count; j++)
            {
                var host = hosts[j];
                var hostPath = path.Child("tls").Index(i).Child("hosts").Index(j);
                Common.DNS1123Subdomain(errs, host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host, hostPath);
            }
        }
        if (spec.GetString("ingressClassName") is { } className)
        {
            Common.NameReference(errs, className, path.Child("ingressClassName"), NameValidation.NameIsDNSSubdomain);
        }
    }

    private static void HttpPath(List<FieldError> errs, JsonObject httpPath, FieldPath path)
    {
        var type = httpPath.GetString("pathType");
        var value = httpPath.GetString("path") ?? "";
        if (type is null)
        {
            errs.Add(FieldError.Required(path.Child("pathType"), "pathType must be specified"));
            return;
        }
        switch (type)
        {
            case "Exact" or "Prefix":
                if (!value.StartsWith('/'))
                {
                    errs.Add(FieldError.Invalid(path.Child("path"), value, "must be an absolute path"));
                }
                if (value.Length > 0)
                {
                    foreach (var bad in new[] { "//", "/./", "/../", "%2f", "%2F" })
                    {
                        if (value.Contains(bad, StringComparison.Ordinal))
                        {
                            errs.Add(FieldError.Invalid(path.Child("path"), value, $"must not contain '{bad}'"));
                        }
                    }
                    foreach (var bad in new[] { "/..", "/." })
                    {
                        if (value.EndsWith(bad, StringComparison.Ordinal))
                        {
                            errs.Add(FieldError.Invalid(path.Child("path"), value, $"cannot end with '{bad}'"));
                        }
                    }
                }
                break;
            case "ImplementationSpecific":
                if (value.Length > 0 && !value.StartsWith('/'))
                {
                    errs.Add(FieldError.Invalid(path.Child("path"), value, "must be an absolute path"));
                }
                break;
            default:
                errs.Add(FieldError.NotSupported(path.Child("pathType"), type, ["Exact", "ImplementationSpecific", "Prefix"]));
                break;
        }
        Backend(errs, Read.Obj(httpPath, "backend") ?? [], path.Child("backend"));
    }

    private static void Backend(List<FieldError> errs, JsonObject backend, FieldPath path)
    {
        var resource = Read.Obj(backend, "resource");
        var service = Read.Obj(backend, "service");
        if (resource is not null && service is not null)
        {
            errs.Add(FieldError.Invalid(path, "", "cannot set both resource and service backends"));
            return;
        }
        if (resource is not null)
        {
            if ((resource.GetString("kind") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("resource", "kind"), ""));
            }
            if ((resource.GetString("name") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("resource", "name"), ""));
            }
            return;
        }
        if (service is null)
        {
            errs.Add(FieldError.Invalid(path, "", "resource or service backend is required"));
            return;
        }
        var name = service.GetString("name") ?? "";
        if (name.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("service", "name"), ""));
        }
        else
        {
            errs.AddRange(NameValidation.NameIsDNS1035Label(name, false).Select(m => FieldError.Invalid(path.Child("service", "name"), name, m)));
        }
        var portName = service["port"].GetString("name") ?? "";
        var portNumber = Read.Int(service["port"], "number");
        if (portName.Length > 0 && portNumber != 0)
        {
            errs.Add(FieldError.Invalid(path, "", "cannot set both port name & port number"));
        }
        else if (portName.Length > 0)
        {
            errs.AddRange(ValueValidation.IsValidPortName(portName).Select(m => FieldError.Invalid(path.Child("service", "port", "name"), portName, m)));
        }
        else if (portNumber != 0)
        {
            errs.AddRange(ValueValidation.IsValidPortNum(portNumber).Select(m => FieldError.Invalid(path.Child("service", "port", "number"), portNumber, m)));
        }
        else
        {
            errs.Add(FieldError.Required(path, "port name or number is required"));
        }
    }

    public static void IngressStatusUpdate(JsonObject ingress, JsonObject old, List<FieldError> errs) =>
        CoreValidation.LoadBalancerStatus(errs, Read.Obj(ingress["status"], "loadBalancer"), FieldPath.New("status", "loadBalancer"));

    // ------------------------------------------------------------------ IngressClass

    public static void IngressClass(JsonObject ingressClass, List<FieldError> errs)
    {
        var spec = Read.Obj(ingressClass, "spec") ?? [];
        var path = FieldPath.New("spec");
        var controller = spec.GetString("controller") ?? "";
        if (controller.Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("controller"), ""));
        }
        else if (controller.Length > 250)
        {
            errs.Add(FieldError.TooLong(path.Child("controller"), 250));
        }
        else
        {
            DomainPrefixedPath(errs, controller, path.Child("controller"));
        }
        if (Read.Obj(spec, "parameters") is { } parameters)
        {
            var p = path.Child("parameters");
            if ((parameters.GetString("kind") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(p.Child("kind"), "kind is required"));
            }
            if ((parameters.GetString("name") ?? "").Length == 0)
            {
                errs.Add(FieldError.Required(p.Child("name"), "name is required"));
            }
            var scope = parameters.GetString("scope") ?? "";
            var ns = parameters.GetString("namespace");
            if (scope is not ("Cluster" or "Namespace"))
            {
                errs.Add(FieldError.NotSupported(p.Child("scope"), scope, ["Cluster", "Namespace"]));
            }
            else if (scope == "Namespace" && string.IsNullOrEmpty(ns))
            {
                errs.Add(FieldError.Required(p.Child("namespace"), "`parameters.scope` is set to 'Namespace'"));
            }
            else if (scope == "Cluster" && ns is not null)
            {
                errs.Add(FieldError.Forbidden(p.Child("namespace"), "`parameters.scope` is set to 'Cluster'"));
            }
        }
    }

    public static void IngressClassUpdate(JsonObject ingressClass, JsonObject old, List<FieldError> errs)
    {
        IngressClass(ingressClass, errs);
        Common.Immutable(errs, ingressClass["spec"]?["controller"], old["spec"]?["controller"], FieldPath.New("spec", "controller"));
    }

    /// <summary>IsDomainPrefixedPath: a DNS subdomain, '/', and a path of URL-safe characters.</summary>
    private static void DomainPrefixedPath(List<FieldError> errs, string value, FieldPath path)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            errs.Add(FieldError.Invalid(path, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
            return;
        }
        var host = value[..slash];
        errs.AddRange(NameValidation.IsDNS1123Subdomain(host).Select(m => FieldError.Invalid(path, host, m)));
        var rest = value[(slash + 1)..];
        if (!rest.All(c => char.IsAsciiLetterOrDigit(c) || "/-._~%!$&'()*+,;=:".Contains(c)))
        {
            errs.Add(FieldError.Invalid(path, rest, "Invalid path: must consist of URL-safe characters"));
        }
    }

    // ------------------------------------------------------------------ NetworkPolicy

    public static void NetworkPolicy(JsonObject policy, List<FieldError> errs)
    {
        var spec = Read.Obj(policy, "spec") ?? [];
        var path = FieldPath.New("spec");
        Common.LabelSelector(errs, Read.Obj(spec, "podSelector"), path.Child("podSelector"));
        foreach (var (direction, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            var rules = Read.Items(spec, direction);
            for (var i = 0; i < rules.Count; i++)
            {
                var rulePath = path.Child(direction).Index(i);
                var ports = Read.Items(rules[i], "ports");
                for (var j = 0; j < ports.Count; j++)
                {
                    PolicyPort(errs, ports[j], rulePath.Child("ports").Index(j));
                }
                var peerList = Read.Items(rules[i], peers);
                for (var j = 0; j < peerList.Count; j++)
                {
                    Peer(errs, peerList[j], rulePath.Child(peers).Index(j));
                }
            }
        }
        var types = Read.Strings(spec, "policyTypes");
        if (types.Count > 2)
        {
            errs.Add(FieldError.Invalid(path.Child("policyTypes"), new GoValue(Common.GoStringSlice(types)), "may not specify more than two policyTypes"));
            return;
        }
        for (var i = 0; i < types.Count; i++)
        {
            if (types[i] is not ("Ingress" or "Egress"))
            {
                errs.Add(FieldError.NotSupported(path.Child("policyTypes").Index(i), types[i], ["Ingress", "Egress"]));
            }
        }
    }

    private static void PolicyPort(List<FieldError> errs, JsonObject port, FieldPath path)
    {
        if (port.GetString("protocol") is { } protocol && !Protocols.Contains(protocol))
        {
            errs.Add(FieldError.NotSupported(path.Child("protocol"), protocol, Protocols));
        }
        var endPort = Read.IntOrNull(port, "endPort");
        switch (Common.Printable(port["port"]))
        {
            case long number:
                errs.AddRange(ValueValidation.IsValidPortNum(number).Select(m => FieldError.Invalid(path.Child("port"), number, m)));
                if (endPort is { } end)
                {
                    if (end < number)
                    {
                        errs.Add(FieldError.Invalid(path.Child("endPort"), number, "must be greater than or equal to `port`"));
                    }
                    errs.AddRange(ValueValidation.IsValidPortNum(end).Select(m => FieldError.Invalid(path.Child("endPort"), end, m)));
                }
                break;
            case string name when port["port"] is not null:
                if (endPort is { } e)
                {
                    errs.Add(FieldError.Invalid(path.Child("endPort"), e, "may not be specified when `port` is non-numeric"));
                }
                errs.AddRange(ValueValidation.IsValidPortName(name).Select(m => FieldError.Invalid(path.Child("port"), name, m)));
                break;
            default:
                if (endPort is { } e2)
                {
                    errs.Add(FieldError.Invalid(path.Child("endPort"), e2, "may not be specified when `port` is not specified"));
                }
                break;
        }
    }

    private static void Peer(List<FieldError> errs, JsonObject peer, FieldPath path)
    {
        var count = 0;
        if (Read.Obj(peer, "podSelector") is { } podSelector)
        {
            count++;
            Common.LabelSelector(errs, podSelector, path.Child("podSelector"));
        }
        if (Read.Obj(peer, "namespaceSelector") is { } nsSelector)
        {
            count++;
            Common.LabelSelector(errs, nsSelector, path.Child("namespaceSelector"));
        }
        if (Read.Obj(peer, "ipBlock") is { } block)
        {
            count++;
            var cidr = block.GetString("cidr") ?? "";
            if (cidr.Length == 0)
            {
                errs.Add(FieldError.Required(path.Child("ipBlock", "cidr"), ""));
            }
            else
            {
                errs.AddRange(ValueValidation.IsValidCIDR(cidr).Select(m => FieldError.Invalid(path.Child("ipBlock", "cidr"), cidr, m)));
                var except = Read.Strings(block, "except");
                for (var i = 0; i < except.Count; i++)
                {
                    errs.AddRange(ValueValidation.IsValidCIDR(except[i]).Select(m => FieldError.Invalid(path.Child("ipBlock", "except").Index(i), except[i], m)));
                }
            }
        }
        if (count == 0)
        {
            errs.Add(FieldError.Required(path, "must specify a peer"));
        }
        else if (count > 1 && Read.Has(peer, "ipBlock"))
        {
            errs.Add(FieldError.Forbidden(path, "may not specify both ipBlock and another peer"));
        }
    }

    // ------------------------------------------------------------------ IPAddress and ServiceCIDR

    public static void IPAddress(JsonObject address, List<FieldError> errs)
    {
        var name = address["metadata"].GetString("name") ?? "";
        if (ValueValidation.ParseIP(name) is { } ip && ip.ToString() != name)
        {
            errs.Add(FieldError.Invalid(FieldPath.New("metadata", "name"), name, $"must be in canonical form (\"{ip}\")"));
        }
        var parent = Read.Obj(address["spec"], "parentRef");
        var path = FieldPath.New("spec", "parentRef");
        if (parent is null)
        {
            errs.Add(FieldError.Required(path, ""));
            return;
        }
        if ((parent.GetString("resource") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("resource"), ""));
        }
        if ((parent.GetString("name") ?? "").Length == 0)
        {
            errs.Add(FieldError.Required(path.Child("name"), ""));
        }
    }

    /// <summary>IPAddress names are IP addresses (kube's ValidateIPAddressName).</summary>
    public static IReadOnlyList<string> IPAddressName(string name, bool prefix)
    {
        if (prefix)
        {
            return ["prefix not allowed"];
        }
        return ValueValidation.ParseIP(name) is null ? ValueValidation.IsValidIP(name) : [];
    }

    public static void IPAddressUpdate(JsonObject address, JsonObject old, List<FieldError> errs)
    {
        IPAddress(address, errs);
        Common.Immutable(errs, address["spec"]?["parentRef"], old["spec"]?["parentRef"], FieldPath.New("spec", "parentRef"), new GoValue("&networking.ParentReference{...}"));
    }

    public static void ServiceCIDR(JsonObject cidr, List<FieldError> errs)
    {
        var cidrs = Read.Strings(cidr["spec"], "cidrs");
        var path = FieldPath.New("spec", "cidrs");
        if (cidrs.Count == 0)
        {
            errs.Add(FieldError.Required(path, "at least one CIDR required"));
            return;
        }
        if (cidrs.Count > 2)
        {
            errs.Add(FieldError.Invalid(path, new GoValue(Common.GoStringSlice(cidrs)), "may only hold up to 2 values"));
            return;
        }
        for (var i = 0; i < cidrs.Count; i++)
        {
            errs.AddRange(ValueValidation.IsValidCIDR(cidrs[i]).Select(m => FieldError.Invalid(path.Index(i), cidrs[i], m)));
        }
    }

    public static void ServiceCIDRUpdate(JsonObject cidr, JsonObject old, List<FieldError> errs)
    {
        var now = Read.Strings(cidr["spec"], "cidrs");
        var before = Read.Strings(old["spec"], "cidrs");
        // A single-stack range may become dual-stack by adding the other family; nothing else changes.
        if (!(before.Count == 1 && now.Count == 2 && now[0] == before[0]) && !now.SequenceEqual(before))
        {
            errs.Add(FieldError.Invalid(FieldPath.New("spec", "cidrs"), new GoValue(Common.GoStringSlice(now)), Common.FieldImmutable));
        }
        ServiceCIDR(cidr, errs);
    }
}
