using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Text;

namespace ApiMachinery.Validation;

/// <summary>
/// ObjectMeta checks from k8s.io/apimachinery/pkg/api/validation (ValidateObjectMetaAccessor and
/// ValidateObjectMetaAccessorUpdate) over a metadata JsonObject, reporting every error at once.
/// </summary>
public static class ObjectMetaValidator
{
    /// <summary>Total bytes of annotation keys and values allowed (256 KiB).</summary>
    public const int TotalAnnotationSizeLimitBytes = 256 * 1024;

    public const int FieldManagerMaxLength = 128;

    public const int MaxSubresourceNameLength = 256;

    public const string FieldImmutableErrorMsg = "field is immutable";

    public const string IsNegativeErrorMsg = "must be greater than or equal to 0";

    public const string FinalizerOrphanDependents = "orphan";

    public const string FinalizerDeleteDependents = "foregroundDeletion";

    /// <summary>Validates metadata on create; the name function sees whole names, generateName is masked first.</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject metadata, bool namespaced, Func<string, IReadOnlyList<string>> nameValidator, FieldPath path) =>
        Validate(metadata, namespaced, (name, prefix) => nameValidator(prefix ? NameValidation.MaskTrailingDash(name) : name), path);

    /// <summary>Validates metadata on create (name generation must already have happened).</summary>
    public static IReadOnlyList<FieldError> Validate(JsonObject metadata, bool namespaced, ValidateNameFunc nameValidator, FieldPath path)
    {
        var errs = new List<FieldError>();
        var generateName = metadata.GetString("generateName");
        if (!string.IsNullOrEmpty(generateName))
        {
            foreach (var msg in nameValidator(generateName, true))
            {
                errs.Add(FieldError.Invalid(path.Child("generateName"), generateName, msg));
            }
        }
        var name = metadata.GetString("name");
        if (string.IsNullOrEmpty(name))
        {
            errs.Add(FieldError.Required(path.Child("name"), "name or generateName is required"));
        }
        else
        {
            foreach (var msg in nameValidator(name, false))
            {
                errs.Add(FieldError.Invalid(path.Child("name"), name, msg));
            }
        }
        var ns = metadata.GetString("namespace");
        if (namespaced)
        {
            if (string.IsNullOrEmpty(ns))
            {
                errs.Add(FieldError.Required(path.Child("namespace")));
            }
            else
            {
                foreach (var msg in NameValidation.ValidateNamespaceName(ns, false))
                {
                    errs.Add(FieldError.Invalid(path.Child("namespace"), ns, msg));
                }
            }
        }
        else if (!string.IsNullOrEmpty(ns))
        {
            errs.Add(FieldError.Forbidden(path.Child("namespace"), "not allowed on this type"));
        }
        var generation = Int(metadata, "generation") ?? 0;
        if (generation < 0)
        {
            errs.Add(FieldError.Invalid(path.Child("generation"), generation, IsNegativeErrorMsg));
        }
        errs.AddRange(ValidateLabels(ObjectMeta.ReadStringMap(metadata["labels"]), path.Child("labels")));
        errs.AddRange(ValidateAnnotations(ObjectMeta.ReadStringMap(metadata["annotations"]), path.Child("annotations")));
        errs.AddRange(ValidateOwnerReferences(metadata["ownerReferences"] as JsonArray, path.Child("ownerReferences")));
        errs.AddRange(ValidateFinalizers(ObjectMeta.ReadStringList(metadata["finalizers"]), path.Child("finalizers")));
        errs.AddRange(ValidateManagedFields(metadata["managedFields"] as JsonArray, path.Child("managedFields")));
        return errs;
    }

    /// <summary>Validates metadata on update against the stored metadata.</summary>
    public static IReadOnlyList<FieldError> ValidateUpdate(JsonObject newMetadata, JsonObject oldMetadata, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (oldMetadata["deletionTimestamp"] is not null)
        {
            errs.AddRange(ValidateNoNewFinalizers(
                ObjectMeta.ReadStringList(newMetadata["finalizers"]),
                ObjectMeta.ReadStringList(oldMetadata["finalizers"]),
                path.Child("finalizers")));
        }
        var resourceVersion = newMetadata.GetString("resourceVersion") ?? "";
        if (resourceVersion.Length == 0)
        {
            errs.Add(FieldError.Invalid(path.Child("resourceVersion"), resourceVersion, "must be specified for an update"));
        }
        var newGeneration = Int(newMetadata, "generation") ?? 0;
        if (newGeneration < (Int(oldMetadata, "generation") ?? 0))
        {
            errs.Add(FieldError.Invalid(path.Child("generation"), newGeneration, "must not be decremented"));
        }
        foreach (var field in (string[])["name", "namespace", "uid"])
        {
            var newValue = newMetadata.GetString(field) ?? "";
            if (newValue != (oldMetadata.GetString(field) ?? ""))
            {
                errs.Add(FieldError.Invalid(path.Child(field), newValue, FieldImmutableErrorMsg));
            }
        }
        foreach (var field in (string[])["creationTimestamp", "deletionTimestamp"])
        {
            var newValue = newMetadata.GetString(field);
            if (!SameInstant(newValue, oldMetadata.GetString(field)))
            {
                // creationTimestamp is a value (zero time when unset), deletionTimestamp a pointer (null when unset).
                object? badValue = newValue is null && field == "deletionTimestamp" ? null : new GoTime(newValue);
                errs.Add(FieldError.Invalid(path.Child(field), badValue, FieldImmutableErrorMsg));
            }
        }
        var newGrace = Int(newMetadata, "deletionGracePeriodSeconds");
        if (newGrace != Int(oldMetadata, "deletionGracePeriodSeconds"))
        {
            errs.Add(FieldError.Invalid(path.Child("deletionGracePeriodSeconds"), newGrace, FieldImmutableErrorMsg));
        }
        errs.AddRange(ValidateLabels(ObjectMeta.ReadStringMap(newMetadata["labels"]), path.Child("labels")));
        errs.AddRange(ValidateAnnotations(ObjectMeta.ReadStringMap(newMetadata["annotations"]), path.Child("annotations")));
        errs.AddRange(ValidateOwnerReferences(newMetadata["ownerReferences"] as JsonArray, path.Child("ownerReferences")));
        errs.AddRange(ValidateManagedFields(newMetadata["managedFields"] as JsonArray, path.Child("managedFields")));
        return errs;
    }

    /// <summary>Keys must be qualified names, values label values.</summary>
    public static IReadOnlyList<FieldError> ValidateLabels(IReadOnlyDictionary<string, string> labels, FieldPath path)
    {
        var errs = new List<FieldError>();
        foreach (var (key, value) in labels)
        {
            errs.AddRange(ValidateLabelName(key, path));
            foreach (var msg in NameValidation.IsValidLabelValue(value))
            {
                errs.Add(FieldError.Invalid(path, value, msg));
            }
        }
        return errs;
    }

    public static IReadOnlyList<FieldError> ValidateLabelName(string labelName, FieldPath path) =>
        NameValidation.IsQualifiedName(labelName).Select(msg => FieldError.Invalid(path, labelName, msg)).ToList();

    /// <summary>Keys must be qualified names (case-insensitively); keys and values together at most 256 KiB.</summary>
    public static IReadOnlyList<FieldError> ValidateAnnotations(IReadOnlyDictionary<string, string> annotations, FieldPath path)
    {
        var errs = new List<FieldError>();
        long totalSize = 0;
        foreach (var (key, value) in annotations)
        {
            foreach (var msg in NameValidation.IsQualifiedName(key.ToLowerInvariant()))
            {
                errs.Add(FieldError.Invalid(path, key, msg));
            }
            totalSize += NameValidation.ByteLength(key) + NameValidation.ByteLength(value);
        }
        if (totalSize > TotalAnnotationSizeLimitBytes)
        {
            errs.Add(FieldError.TooLong(path, TotalAnnotationSizeLimitBytes));
        }
        return errs;
    }

    public static IReadOnlyList<FieldError> ValidateOwnerReferences(JsonArray? ownerReferences, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (ownerReferences is null)
        {
            return errs;
        }
        string? firstController = null;
        foreach (var item in ownerReferences)
        {
            if (item is not JsonObject reference)
            {
                continue;
            }
            var apiVersion = reference.GetString("apiVersion") ?? "";
            var kind = reference.GetString("kind") ?? "";
            var name = reference.GetString("name") ?? "";
            var uid = reference.GetString("uid") ?? "";
            var (group, version) = ParseGroupVersion(apiVersion);
            if (version.Length == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("apiVersion"), apiVersion, "version must not be empty"));
            }
            if (kind.Length == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("kind"), kind, "kind must not be empty"));
            }
            if (name.Length == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("name"), name, "name must not be empty"));
            }
            if (uid.Length == 0)
            {
                errs.Add(FieldError.Invalid(path.Child("uid"), uid, "uid must not be empty"));
            }
            // Events may not own anything (BannedOwners).
            if (group.Length == 0 && version == "v1" && kind == "Event")
            {
                errs.Add(FieldError.Invalid(path, reference, $"{group}/{version}, Kind={kind} is disallowed from being an owner"));
            }
            if (reference["controller"] is JsonValue controller && controller.GetValueKind() == JsonValueKind.True)
            {
                var current = kind + "/" + name;
                if (firstController is not null)
                {
                    errs.Add(FieldError.Invalid(path, ownerReferences,
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {firstController} and {current}"));
                }
                else
                {
                    firstController = current;
                }
            }
        }
        return errs;
    }

    /// <summary>Finalizer names are qualified names; "orphan" and "foregroundDeletion" exclude each other.</summary>
    public static IReadOnlyList<FieldError> ValidateFinalizers(IReadOnlyList<string> finalizers, FieldPath path)
    {
        var errs = new List<FieldError>();
        foreach (var finalizer in finalizers)
        {
            foreach (var msg in NameValidation.IsQualifiedName(finalizer))
            {
                errs.Add(FieldError.Invalid(path, finalizer, msg));
            }
        }
        if (finalizers.Contains(FinalizerOrphanDependents) && finalizers.Contains(FinalizerDeleteDependents))
        {
            errs.Add(FieldError.Invalid(path, finalizers,
                $"finalizer {FinalizerOrphanDependents} and {FinalizerDeleteDependents} cannot be both set"));
        }
        return errs;
    }

    /// <summary>While an object is being deleted, its finalizers may only shrink.</summary>
    public static IReadOnlyList<FieldError> ValidateNoNewFinalizers(IReadOnlyList<string> newFinalizers, IReadOnlyList<string> oldFinalizers, FieldPath path)
    {
        var extra = newFinalizers.Except(oldFinalizers, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (extra.Count == 0)
        {
            return [];
        }
        var list = "[]string{" + string.Join(", ", extra.Select(GoText.Quote)) + "}";
        return [FieldError.Forbidden(path, $"no new finalizers can be added if the object is being deleted, found new finalizers {list}")];
    }

    public static IReadOnlyList<FieldError> ValidateManagedFields(JsonArray? managedFields, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (managedFields is null)
        {
            return errs;
        }
        for (var i = 0; i < managedFields.Count; i++)
        {
            var entryPath = path.Index(i);
            var entry = managedFields[i] as JsonObject ?? [];
            var operation = entry.GetString("operation") ?? "";
            if (operation is not ("Apply" or "Update"))
            {
                errs.Add(FieldError.Invalid(entryPath.Child("operation"), operation, "must be `Apply` or `Update`"));
            }
            var fieldsType = entry.GetString("fieldsType") ?? "";
            if (fieldsType.Length > 0 && fieldsType != "FieldsV1")
            {
                errs.Add(FieldError.Invalid(entryPath.Child("fieldsType"), fieldsType, "must be `FieldsV1`"));
            }
            errs.AddRange(ValidateFieldManager(entry.GetString("manager") ?? "", entryPath.Child("manager")));
            if (NameValidation.ByteLength(entry.GetString("subresource") ?? "") > MaxSubresourceNameLength)
            {
                errs.Add(FieldError.TooLong(entryPath.Child("subresource"), MaxSubresourceNameLength));
            }
        }
        return errs;
    }

    /// <summary>At most 128 bytes, printable characters only.</summary>
    public static IReadOnlyList<FieldError> ValidateFieldManager(string fieldManager, FieldPath path)
    {
        var errs = new List<FieldError>();
        if (NameValidation.ByteLength(fieldManager) > FieldManagerMaxLength)
        {
            errs.Add(FieldError.TooLong(path, FieldManagerMaxLength));
        }
        var bytePosition = 0;
        foreach (var rune in GoText.EnumerateRunesLenient(fieldManager))
        {
            if (!GoText.IsPrint(rune))
            {
                errs.Add(FieldError.Invalid(path, fieldManager,
                    string.Create(CultureInfo.InvariantCulture, $"invalid character U+{rune.Value:X4} (at position {bytePosition})")));
            }
            bytePosition += rune.Utf8SequenceLength;
        }
        return errs;
    }

    // schema.ParseGroupVersion as used by FromAPIVersionAndKind: more than one '/' yields an empty version.
    private static (string Group, string Version) ParseGroupVersion(string apiVersion)
    {
        if (apiVersion.Length == 0 || apiVersion == "/")
        {
            return ("", "");
        }
        var slashes = apiVersion.Count(c => c == '/');
        if (slashes == 0)
        {
            return ("", apiVersion);
        }
        if (slashes == 1)
        {
            var i = apiVersion.IndexOf('/', StringComparison.Ordinal);
            return (apiVersion[..i], apiVersion[(i + 1)..]);
        }
        return ("", "");
    }

    private static long? Int(JsonObject obj, string property) =>
        obj[property] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) ? l : null;

    // metav1.Time has second precision, so two spellings of the same second are equal.
    private static bool SameInstant(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (DateTimeOffset.TryParse(a, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var x)
            && DateTimeOffset.TryParse(b, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var y))
        {
            return x.ToUnixTimeSeconds() == y.ToUnixTimeSeconds();
        }
        return string.Equals(a, b, StringComparison.Ordinal);
    }

    // Prints a timestamp as Go's time.Time.String() does in kube's "field is immutable" messages.
    private sealed class GoTime(string? value)
    {
        public override string ToString()
        {
            if (value is null)
            {
                return "0001-01-01 00:00:00 +0000 UTC";
            }
            if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                return value;
            }
            var utc = t.ToUniversalTime();
            var sb = new StringBuilder(utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            sb.Append(" +0000 UTC");
            return sb.ToString();
        }
    }
}
