namespace Scheduler.Framework;

/// <summary>What a plugin decided (kube-scheduler's framework.Code).</summary>
public enum Code
{
    Success,
    Error,
    /// <summary>The node cannot take the pod now; preempting pods there might change that.</summary>
    Unschedulable,
    /// <summary>The node cannot take the pod, and preemption would not help either.</summary>
    UnschedulableAndUnresolvable,
    /// <summary>The plugin has nothing to do for this pod (PreFilter/PreScore).</summary>
    Skip,
}

/// <summary>A plugin's result: a code, the reasons shown to users, and which plugin said it.</summary>
public sealed class Status
{
    public static readonly Status Success = new(Code.Success, []);

    public static readonly Status Skip = new(Code.Skip, []);

    public Status(Code code, IReadOnlyList<string> reasons, string plugin = "")
    {
        Code = code;
        Reasons = reasons;
        Plugin = plugin;
    }

    public Code Code { get; }

    public IReadOnlyList<string> Reasons { get; }

    public string Plugin { get; }

    public bool IsSuccess => Code == Code.Success;

    public bool IsRejected => Code is Code.Unschedulable or Code.UnschedulableAndUnresolvable;

    public string Message => string.Join(", ", Reasons);

    public static Status Unschedulable(params string[] reasons) => new(Code.Unschedulable, reasons);

    public static Status Unresolvable(params string[] reasons) => new(Code.UnschedulableAndUnresolvable, reasons);

    public static Status Error(string message) => new(Code.Error, [message]);

    public Status WithPlugin(string plugin) => plugin == Plugin ? this : new Status(Code, Reasons, plugin);

    public override string ToString() => $"{Code}: {Message}";
}
