namespace ApiServer;

/// <summary>Every log event id of the server, in one place so they stay unique.</summary>
internal static class LogEvents
{
    public const int IgnoredFlag = 1;
    public const int Listening = 2;
    public const int RequestFailed = 10;
    public const int AuthenticationFailed = 11;
    public const int HealthCheckFailed = 20;
    public const int BootstrapRetry = 30;
    public const int BootstrapDone = 31;
    public const int NamespaceFinalizeFailed = 40;
    public const int NamespaceFinalized = 41;
    public const int NamespaceWatchRestart = 42;
    public const int ShuttingDown = 50;
    public const int MissingAdmissionPlugin = 51;
    public const int CompactionFailed = 60;
    public const int WatchCacheFilled = 70;
    public const int WatchCacheRelisting = 71;
    public const int InformerRestart = 80;
    public const int RbacBootstrapRetry = 81;
    public const int RbacBootstrapDone = 82;
    public const int AggregationFailed = 83;
    public const int ImpersonationDenied = 84;
    public const int ControllerWatchRestart = 90;
    public const int ControllerSyncFailed = 91;
    public const int QuotaSyncFailed = 92;
    public const int PriorityClassBootstrapFailed = 93;
    public const int BackgroundLoopFailed = 95;
    public const int CorruptObject = 96;
    public const int CustomResourcesServed = 100;
    public const int CustomResourceDefinitionSyncFailed = 101;
    public const int CustomResourceCleanup = 102;
}
