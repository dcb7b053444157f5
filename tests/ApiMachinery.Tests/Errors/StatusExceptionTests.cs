using System.Text.Json.Nodes;
using ApiMachinery.Errors;
using ApiMachinery.Validation;

namespace ApiMachinery.Tests.Errors;

public class StatusExceptionTests
{
    [Fact]
    public void NewNotFound_CoreGroup_SerializesLikeKube()
    {
        var e = StatusException.NewNotFound("", "pods", "x");

        Assert.Equal("pods \"x\" not found", e.Message);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewNotFound_NamedGroup_QualifiesResourceAndSetsGroup()
    {
        var e = StatusException.NewNotFound("apps", "deployments", "web");

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"web\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewAlreadyExists_SerializesLikeKube()
    {
        var e = StatusException.NewAlreadyExists("", "configmaps", "cm");

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"cm\" already exists","reason":"AlreadyExists","details":{"name":"cm","kind":"configmaps"},"code":409}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewConflict_OptimisticLock_UsesKubeWording()
    {
        var e = StatusException.NewConflict("", "pods", "x", StatusException.OptimisticLockErrorMsg);

        Assert.Equal(409, e.Code);
        Assert.Equal(StatusReasons.Conflict, e.Reason);
        Assert.Equal(
            "Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to the latest version and try again",
            e.Message);
    }

    [Fact]
    public void NewInvalid_OneError_MessageWithoutBrackets()
    {
        var errors = new[] { FieldError.Required(FieldPath.New("spec", "containers")) };

        var e = StatusException.NewInvalid("", "Pod", "x", errors);

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Pod \"x\" is invalid: spec.containers: Required value","reason":"Invalid","details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.containers"}]},"code":422}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewInvalid_SeveralErrors_BracketedListAndOneCauseEach()
    {
        var errors = new[]
        {
            FieldError.Invalid(FieldPath.New("metadata", "name"), "Foo", "bad"),
            FieldError.Required(FieldPath.New("spec", "containers")),
        };

        var e = StatusException.NewInvalid("apps", "Deployment", "Foo", errors);

        Assert.Equal("Deployment.apps \"Foo\" is invalid: [metadata.name: Invalid value: \"Foo\": bad, spec.containers: Required value]", e.Message);
        var causes = e.Status.Details!.Causes;
        Assert.Equal(2, causes.Count);
        Assert.Equal(new StatusCause("FieldValueInvalid", "Invalid value: \"Foo\": bad", "metadata.name"), causes[0]);
        Assert.Equal("apps", e.Status.Details.Group);
        Assert.Equal("Deployment", e.Status.Details.Kind);
    }

    [Fact]
    public void NewInvalid_DuplicateErrors_DeduplicatedInMessageOnly()
    {
        var error = FieldError.Required(FieldPath.New("spec"));

        var e = StatusException.NewInvalid("", "Pod", "x", [error, error]);

        Assert.Equal("Pod \"x\" is invalid: spec: Required value", e.Message);
        Assert.Equal(2, e.Status.Details!.Causes.Count);
    }

    [Fact]
    public void NewInvalid_NoErrors_MessageWithoutColon()
    {
        var e = StatusException.NewInvalid("", "Pod", "x", []);

        Assert.Equal("Pod \"x\" is invalid", e.Message);
        Assert.DoesNotContain("causes", e.Status.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "pods", "x", "pods \"x\" is forbidden: no")]
    [InlineData("", "pods", "", "pods is forbidden: no")]
    [InlineData("apps", "deployments", "d", "deployments.apps \"d\" is forbidden: no")]
    [InlineData("", "", "", "forbidden: no")]
    public void NewForbidden_Variants_MessageAsKube(string group, string resource, string name, string expected)
    {
        var e = StatusException.NewForbidden(group, resource, name, "no");

        Assert.Equal(expected, e.Message);
        Assert.Equal(403, e.Code);
        Assert.Equal(StatusReasons.Forbidden, e.Reason);
    }

    [Fact]
    public void ForbiddenResourceMessage_NamespacedList_ComposesAuthorizerText()
    {
        var reason = StatusException.ForbiddenResourceMessage("u", "list", "", "pods", "", "default");

        var e = StatusException.NewForbidden("", "pods", "", reason);

        Assert.Equal("pods is forbidden: User \"u\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", e.Message);
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"u\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}""",
            e.Status.ToJson());
    }

    [Theory]
    [InlineData("", "User \"system:anonymous\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope")]
    [InlineData("RBAC: denied", "User \"system:anonymous\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope: RBAC: denied")]
    public void ForbiddenResourceMessage_ClusterScopeSubresource_IncludesSubresourceAndReason(string authorizerReason, string expected)
    {
        Assert.Equal(expected, StatusException.ForbiddenResourceMessage("system:anonymous", "get", "", "nodes", "proxy", "", authorizerReason));
    }

    [Fact]
    public void ForbiddenPathMessage_HtmlCharacters_Sanitized()
    {
        Assert.Equal("User \"u\" cannot get path \"/a&lt;b&gt;&amp;\"", StatusException.ForbiddenPathMessage("u", "get", "/a<b>&"));
    }

    [Fact]
    public void NewMethodNotSupported_NamesActionAndResource()
    {
        var e = StatusException.NewMethodNotSupported("", "pods", "create");

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"create is not supported on resources of kind \"pods\"","reason":"MethodNotAllowed","details":{"kind":"pods"},"code":405}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewMethodNotAllowed_GenericText_EmptyDetails()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}""",
            StatusException.NewMethodNotAllowed().Status.ToJson());
    }

    [Fact]
    public void NewGenericNotFound_EmptyDetailsStillSerialized()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}""",
            StatusException.NewGenericNotFound().Status.ToJson());
    }

    [Theory]
    [InlineData(409, "POST", "AlreadyExists", "the server reported a conflict (post pods x)")]
    [InlineData(409, "PUT", "Conflict", "the server reported a conflict (put pods x)")]
    [InlineData(400, "GET", "BadRequest", "the server rejected our request for an unknown reason (get pods x)")]
    [InlineData(503, "GET", "ServiceUnavailable", "the server is currently unable to handle the request (get pods x)")]
    [InlineData(502, "GET", "InternalError", "an error on the server (\"boom\") has prevented the request from succeeding (get pods x)")]
    [InlineData(418, "GET", "", "the server responded with the status code 418 but did not return more information (get pods x)")]
    public void NewGenericServerResponse_Codes_ReasonAndMessage(int code, string verb, string reason, string message)
    {
        var e = StatusException.NewGenericServerResponse(code, verb, "", "pods", "x", "boom", 0, false);

        Assert.Equal(code, e.Code);
        Assert.Equal(reason, e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void NewTooLargeResourceVersion_TimeoutWithCauseAndRetry()
    {
        var e = StatusException.NewTooLargeResourceVersion(20, 10, 1);

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: Too large resource version: 20, current: 10","reason":"Timeout","details":{"causes":[{"reason":"ResourceVersionTooLarge","message":"Too large resource version"}],"retryAfterSeconds":1},"code":504}""",
            e.Status.ToJson());
    }

    [Fact]
    public void NewTimeout_NoRetry_DetailsPresentButEmpty()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Timeout: request did not complete within requested timeout - context deadline exceeded","reason":"Timeout","details":{},"code":504}""",
            StatusException.NewTimeout("request did not complete within requested timeout - context deadline exceeded", 0).Status.ToJson());
    }

    [Fact]
    public void NewTooManyRequests_RetryAfter_InDetails()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Cannot evict pod as it would violate the pod's disruption budget.","reason":"TooManyRequests","details":{"retryAfterSeconds":10},"code":429}""",
            StatusException.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10).Status.ToJson());
    }

    [Fact]
    public void NewInternalError_MessagePrefixedAndCause()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcd down","reason":"InternalError","details":{"causes":[{"message":"etcd down"}]},"code":500}""",
            StatusException.NewInternalError("etcd down").Status.ToJson());
    }

    [Fact]
    public void NewBadRequest_NoDetails()
    {
        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"bad","reason":"BadRequest","code":400}""",
            StatusException.NewBadRequest("bad").Status.ToJson());
    }

    public static TheoryData<StatusException, int, string, string> FactoryCases => new()
    {
        { StatusException.NewUnauthorized(""), 401, "Unauthorized", "not authorized" },
        { StatusException.NewUnauthorized("Unauthorized"), 401, "Unauthorized", "Unauthorized" },
        { StatusException.NewGone("gone"), 410, "Gone", "gone" },
        { StatusException.NewResourceExpired(StatusException.ListTooOldMessage), 410, "Expired", "The resourceVersion for the provided list is too old." },
        { StatusException.NewTooOldResourceVersion(5, 10), 410, "Expired", "too old resource version: 5 (10)" },
        { StatusException.NewServiceUnavailable("down"), 503, "ServiceUnavailable", "down" },
        { StatusException.NewTooManyRequestsError("slow down"), 429, "TooManyRequests", "Too many requests: slow down" },
        { StatusException.NewRequestEntityTooLarge("limit is 3145728"), 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728" },
        { StatusException.NewNotAcceptable(["application/json", "application/yaml"]), 406, "NotAcceptable", "only the following media types are accepted: application/json, application/yaml" },
        { StatusException.NewNotAcceptableConversion("Table", ["application/json"]), 406, "NotAcceptable", "only the following media types are accepted when converting to Table: application/json" },
        { StatusException.NewUnsupportedMediaType(["application/json-patch+json", "application/merge-patch+json"]), 415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json" },
        { StatusException.NewServerTimeout("", "pods", "get", 2), 500, "ServerTimeout", "The get operation against pods could not be completed at this time, please try again." },
        { StatusException.NewGenerateNameConflict("", "pods", "x-abcde", 1), 409, "AlreadyExists", "pods \"x-abcde\" already exists, the server was not able to generate a unique name for the object" },
        { StatusException.NewApplyConflict([new StatusCause(CauseTypes.FieldManagerConflict, "conflict with \"kubectl\"", ".spec.replicas")], "Apply failed with 1 conflict"), 409, "Conflict", "Apply failed with 1 conflict" },
    };

    [Theory]
    [MemberData(nameof(FactoryCases))]
    public void Factories_CodeReasonMessage_MatchKube(StatusException e, int code, string reason, string message)
    {
        Assert.Equal(code, e.Code);
        Assert.Equal(reason, e.Reason);
        Assert.Equal(message, e.Message);
        Assert.Equal(ApiStatus.StatusFailure, e.Status.Status);
    }

    [Fact]
    public void Success_DeleteAnswer_HasDetailsAndNoCode()
    {
        var status = ApiStatus.Success("web", "apps", "deployments", "1234");

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"web","group":"apps","kind":"deployments","uid":"1234"}}""",
            status.ToJson());
    }

    [Fact]
    public void ToJson_ContinueToken_InMetadata()
    {
        var status = StatusException.NewResourceExpired(StatusException.InconsistentContinueMessage).Status with { Continue = "abc" };

        Assert.StartsWith("""{"kind":"Status","apiVersion":"v1","metadata":{"continue":"abc"},"status":"Failure","message":"The provided continue parameter is too old""", status.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_HtmlAndNonAscii_EscapedAsGo()
    {
        var status = StatusException.NewBadRequest("<a> & 'é' \n").Status;

        Assert.Equal(
            """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"\u003ca\u003e \u0026 'é' \n","reason":"BadRequest","code":400}""",
            status.ToJson());
    }

    [Fact]
    public void ToJsonObject_FromJsonObject_RoundTrips()
    {
        var original = StatusException.NewInvalid("", "Pod", "x", [FieldError.Required(FieldPath.New("spec"))]).Status with { Continue = "c" };

        JsonObject json = original.ToJsonObject();
        var back = ApiStatus.FromJsonObject(json);

        Assert.Equal("Status", (string?)json["kind"]);
        Assert.Equal(422, (int?)json["code"]);
        Assert.Equal(original.ToJson(), back.ToJson());
    }
}
