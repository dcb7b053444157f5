namespace ApiMachinery.Errors;

/// <summary>metav1.StatusReason values: the machine-readable "reason" of a failed Status.</summary>
public static class StatusReasons
{
    public const string Unknown = "";
    public const string Unauthorized = "Unauthorized";
    public const string Forbidden = "Forbidden";
    public const string NotFound = "NotFound";
    public const string AlreadyExists = "AlreadyExists";
    public const string Conflict = "Conflict";
    public const string Gone = "Gone";
    public const string Invalid = "Invalid";
    public const string ServerTimeout = "ServerTimeout";
    public const string StoreReadError = "StorageReadError";
    public const string Timeout = "Timeout";
    public const string TooManyRequests = "TooManyRequests";
    public const string BadRequest = "BadRequest";
    public const string MethodNotAllowed = "MethodNotAllowed";
    public const string NotAcceptable = "NotAcceptable";
    public const string RequestEntityTooLarge = "RequestEntityTooLarge";
    public const string UnsupportedMediaType = "UnsupportedMediaType";
    public const string InternalError = "InternalError";
    public const string Expired = "Expired";
    public const string ServiceUnavailable = "ServiceUnavailable";
}

/// <summary>metav1.CauseType values: the "reason" of one entry in details.causes.</summary>
public static class CauseTypes
{
    public const string FieldValueNotFound = "FieldValueNotFound";
    public const string FieldValueRequired = "FieldValueRequired";
    public const string FieldValueDuplicate = "FieldValueDuplicate";
    public const string FieldValueInvalid = "FieldValueInvalid";
    public const string FieldValueNotSupported = "FieldValueNotSupported";
    public const string FieldValueForbidden = "FieldValueForbidden";
    public const string FieldValueTooLong = "FieldValueTooLong";
    public const string FieldValueTooMany = "FieldValueTooMany";
    public const string InternalError = "InternalError";
    public const string FieldValueTypeInvalid = "FieldValueTypeInvalid";
    public const string UnexpectedServerResponse = "UnexpectedServerResponse";
    public const string FieldManagerConflict = "FieldManagerConflict";
    public const string ResourceVersionTooLarge = "ResourceVersionTooLarge";
}
