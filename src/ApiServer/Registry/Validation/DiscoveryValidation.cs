using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Validation;

namespace ApiServer.Registry.Validation;

/// <summary>discovery.k8s.io/v1 (kube's pkg/apis/discovery/validation): EndpointSlice.</summary>
internal static class DiscoveryValidation
{
    private const int MaxEndpoints = 1000;
    private const int MaxAddresses = 100;
    private const int MaxPorts = 20000;

    public static void EndpointSlice(JsonObject slice, List<FieldError> errs)
    {
        var addressType = slice.GetString("addressType") ?? "";
        var endpoints = Read.Items(slice, "endpoints");
        var path = FieldPath.New("endpoints");
        if (endpoints.Count > MaxEndpoints)
        {
            errs.Add(FieldError.TooMany(path, endpoints.Count, MaxEndpoints));
        }
        for (var i = 0; i < endpoints.Count; i++)
        {
            var idx = path.Index(i);
            var addresses = Read.Strings(endpoints[i], "addresses");
            if (addresses.Count == 0)
            {
                errs.Add(FieldError.Required(idx.Child("addresses"), "must contain at least 1 address"));
            }
            else if (addresses.Count > MaxAddresses)
            {
                errs.Add(FieldError.TooMany(idx.Child("addresses"), addresses.Count, MaxAddresses));
            }
            for (var j = 0; j < addresses.Count; j++)
            {
                var address = addresses[j];
                var addressPath = idx.Child("addresses").Index(j);
                var ip = ValueValidation.ParseIP(address);
                switch (addressType)
                {
                    case "IPv4" when ip is null || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork:
                        errs.Add(FieldError.Invalid(addressPath, address, "must be a valid IPv4 address"));
                        break;
                    case "IPv6" when ip is null || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6:
                        errs.Add(FieldError.Invalid(addressPath, address, "must be a valid IPv6 address"));
                        break;
                    case "FQDN":
                        Common.DNS1123Subdomain(errs, address, addressPath);
                        break;
                }
            }
            if (endpoints[i].GetString("nodeName") is { } nodeName)
            {
                Common.NameReference(errs, nodeName, idx.Child("nodeName"), NameValidation.NameIsDNSSubdomain);
            }
            if (endpoints[i].GetString("hostname") is { } hostname)
            {
                Common.DNS1123Label(errs, hostname, idx.Child("hostname"));
            }
        }
        var ports = Read.Items(slice, "ports");
        var portsPath = FieldPath.New("ports");
        if (ports.Count > MaxPorts)
        {
            errs.Add(FieldError.TooMany(portsPath, ports.Count, MaxPorts));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var idx = portsPath.Index(i);
            var name = ports[i].GetString("name") ?? "";
            if (name.Length > 0)
            {
                Common.DNS1123Label(errs, name, idx.Child("name"));
            }
            if (!names.Add(name))
            {
                errs.Add(FieldError.Duplicate(idx.Child("name"), name));
            }
            var protocol = ports[i].GetString("protocol");
            if (protocol is null)
            {
                errs.Add(FieldError.Required(idx.Child("protocol"), ""));
            }
            else if (protocol is not ("SCTP" or "TCP" or "UDP"))
            {
                errs.Add(FieldError.NotSupported(idx.Child("protocol"), protocol, ["SCTP", "TCP", "UDP"]));
            }
            if (Read.IntOrNull(ports[i], "port") is { } number)
            {
                errs.AddRange(ValueValidation.IsInRange(number, 0, 65535).Select(m => FieldError.Invalid(idx.Child("port"), number, m)));
            }
            if (ports[i].GetString("appProtocol") is { } appProtocol)
            {
                Common.QualifiedName(errs, appProtocol, idx.Child("appProtocol"));
            }
        }
        Common.OneOf(errs, addressType, FieldPath.New("addressType"), "FQDN", "IPv4", "IPv6");
    }

    public static void EndpointSliceUpdate(JsonObject slice, JsonObject old, List<FieldError> errs)
    {
        EndpointSlice(slice, errs);
        Common.Immutable(errs, slice["addressType"], old["addressType"], FieldPath.New("addressType"));
    }
}
