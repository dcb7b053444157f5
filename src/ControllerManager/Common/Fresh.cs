namespace ControllerManager.Common;

/// <summary>Reads straight from the server (not the informer cache); null when the object is gone.</summary>
internal static class Fresh
{
    public static async Task<T?> ReadAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }
}
