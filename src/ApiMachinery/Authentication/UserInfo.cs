namespace ApiMachinery.Authentication;

/// <summary>
/// Who made a request, as authenticators report it (k8s.io/apiserver pkg/authentication/user).
/// Authorization, admission and audit read this.
/// </summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "", IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    public const string AllAuthenticated = "system:authenticated";
    public const string AllUnauthenticated = "system:unauthenticated";
    public const string Anonymous = "system:anonymous";
    public const string SystemPrivilegedGroup = "system:masters";
    public const string ApiServerUser = "system:apiserver";

    public static readonly UserInfo AnonymousUser = new(Anonymous, [AllUnauthenticated]);

    /// <summary>The server's own identity for work it does itself (bootstrap, namespace finalization).</summary>
    public static readonly UserInfo LoopbackUser = new(ApiServerUser, [SystemPrivilegedGroup, AllAuthenticated]);

    public bool IsInGroup(string group) => Groups.Contains(group);
}
