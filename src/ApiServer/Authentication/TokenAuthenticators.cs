using System.Text;
using ApiMachinery.Authentication;
using Microsoft.AspNetCore.Http;

namespace ApiServer.Authentication;

/// <summary>
/// Authenticates a bearer token (k8s.io/apiserver pkg/authentication/authenticator.Token). Token
/// authenticators run in order behind <see cref="BearerTokenAuthenticator"/> and TokenReview.
/// </summary>
internal interface ITokenAuthenticator
{
    /// <summary>
    /// NoCredentials when the token is not of this kind; Failed when it is and does not hold.
    /// <paramref name="audiences"/> are the audiences the caller accepts (null: the server's --api-audiences).
    /// </summary>
    ValueTask<AuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken cancellationToken);
}

/// <summary>
/// Every token authenticator in turn (k8s.io/apiserver pkg/authentication/token/union): the first that
/// recognises the token decides. The <c>Bearer</c> scheme (<see cref="KubernetesAuthentication"/>) and
/// TokenReview ask it. A token nobody accepts fails (401) even when anonymous requests are allowed, as in
/// kube-apiserver: a bad token is never anonymous.
/// </summary>
internal sealed class BearerTokenAuthenticator(IEnumerable<ITokenAuthenticator> authenticators)
{
    private readonly ITokenAuthenticator[] _authenticators = authenticators.ToArray();

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or null when the request has none.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var parts = header.Trim().Split(' ', 2, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 && parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase) && parts[1].Length > 0 ? parts[1] : null;
    }

    public async ValueTask<AuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var authenticator in _authenticators)
        {
            var result = await authenticator.AuthenticateTokenAsync(token, audiences, cancellationToken).ConfigureAwait(false);
            if (result.User is not null)
            {
                return result;
            }

            if (result.Error is not null)
            {
                errors.Add(result.Error);
            }
        }

        return AuthenticationResult.Failed(errors.Count switch
        {
            0 => "invalid bearer token",
            1 => errors[0],
            _ => "[" + string.Join(", ", errors) + "]",
        });
    }
}

/// <summary>
/// --token-auth-file: a CSV of <c>token,user,uid,"group1,group2"</c> read once at start
/// (k8s.io/apiserver pkg/authentication/token/tokenfile). Users get system:authenticated too.
/// </summary>
internal sealed class TokenFileAuthenticator : ITokenAuthenticator
{
    private readonly Dictionary<string, UserInfo> _tokens = new(StringComparer.Ordinal);

    public TokenFileAuthenticator(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadAllLines(path))
        {
            lineNumber++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            var record = ParseCsvLine(line);
            if (record.Count < 3)
            {
                throw new InvalidOperationException($"token file '{path}' must have at least 3 columns (token, user name, user uid), found {record.Count}");
            }

            if (record[0].Length == 0)
            {
                continue;
            }

            var groups = record.Count > 3
                ? record[3].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()
                : [];
            if (!groups.Contains(UserInfo.AllAuthenticated))
            {
                groups.Add(UserInfo.AllAuthenticated);
            }

            _tokens[record[0]] = new UserInfo(record[1], groups, record[2]);
        }
    }

    public int Count => _tokens.Count;

    public ValueTask<AuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_tokens.TryGetValue(token, out var user) ? AuthenticationResult.Success(user) : AuthenticationResult.NoCredentials);

    /// <summary>One CSV record as Go's encoding/csv reads it (quoted fields, doubled quotes, leading spaces trimmed).</summary>
    internal static List<string> ParseCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            while (i < line.Length && line[i] == ' ' && field.Length == 0)
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (i < line.Length)
                {
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }
            }

            while (i < line.Length && line[i] != ',')
            {
                field.Append(line[i++]);
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i >= line.Length)
            {
                return fields;
            }

            i++;
        }
    }
}
