namespace Storage;

/// <summary>Revision bookkeeping shared by the stores.</summary>
internal static class Revisions
{
    /// <summary>Raises <paramref name="location"/> to <paramref name="revision"/> if it is lower, without a lock.</summary>
    public static void RaiseTo(ref long location, long revision)
    {
        var seen = Interlocked.Read(ref location);
        while (revision > seen)
        {
            var previous = Interlocked.CompareExchange(ref location, revision, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
