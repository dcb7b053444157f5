using System.Globalization;
using System.Text;

namespace ApiExtensions.Cel;

/// <summary>A problem found in an expression, at a character offset of its source.</summary>
public sealed record CelIssue(int Offset, string Message);

/// <summary>
/// A recursive-descent parser for CEL (cel-spec's grammar), expanding the standard macros (has, all, exists,
/// exists_one, map, filter), the two-variable comprehensions (all/exists/existsOne/transformList/transformMap/
/// transformMapEntry), cel.bind and the optional syntax (<c>a.?b</c>, <c>a[?k]</c>, <c>[?x]</c>, <c>{?k: v}</c>).
/// </summary>
internal sealed class Parser
{
    private const int MaxDepth = 250;

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly List<CelIssue> _issues = [];
    private int _pos;
    private int _depth;

    private Parser(string text, List<Token> tokens)
    {
        _text = text;
        _tokens = tokens;
    }

    public static Expr? Parse(string text, out List<CelIssue> issues)
    {
        var lexIssues = new List<CelIssue>();
        var tokens = Lexer.Tokenize(text, lexIssues);
        if (lexIssues.Count > 0)
        {
            issues = lexIssues;
            return null;
        }
        var parser = new Parser(text, tokens);
        Expr? result = null;
        try
        {
            result = parser.ParseExpr();
            if (parser.Peek.Kind != TokenKind.Eof)
            {
                parser.Error(parser.Peek, $"Syntax error: extraneous input '{parser.Peek.Text}' expecting <EOF>");
            }
        }
        catch (ParseAbort)
        {
        }
        issues = parser._issues;
        return issues.Count > 0 ? null : result;
    }

    private sealed class ParseAbort : Exception
    {
    }

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private bool Accept(TokenKind kind)
    {
        if (Peek.Kind == kind)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private Token Expect(TokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            var found = Peek.Kind == TokenKind.Eof ? "<EOF>" : Peek.Text;
            Error(Peek, $"Syntax error: mismatched input '{found}' expecting {what}");
        }
        return Next();
    }

    private void Error(Token at, string message)
    {
        _issues.Add(new CelIssue(at.Offset, message));
        throw new ParseAbort();
    }

    private Expr ParseExpr()
    {
        if (++_depth > MaxDepth)
        {
            Error(Peek, "expression recursion limit exceeded");
        }
        try
        {
            var start = Peek;
            var cond = ParseOr();
            if (Peek.Kind == TokenKind.Question)
            {
                var q = Next();
                var then = ParseOr();
                Expect(TokenKind.Colon, "':'");
                var otherwise = ParseExpr();
                return new CallExpr(q.Offset, "_?_:_", null, [cond, then, otherwise]);
            }
            _ = start;
            return cond;
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Peek.Kind == TokenKind.OrOr)
        {
            var op = Next();
            var right = ParseAnd();
            left = new CallExpr(op.Offset, "_||_", null, [left, right]);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseRelation();
        while (Peek.Kind == TokenKind.AndAnd)
        {
            var op = Next();
            var right = ParseRelation();
            left = new CallExpr(op.Offset, "_&&_", null, [left, right]);
        }
        return left;
    }

    private Expr ParseRelation()
    {
        var left = ParseAddition();
        while (true)
        {
            var name = Peek.Kind switch
            {
                TokenKind.Less => "_<_",
                TokenKind.LessEq => "_<=_",
                TokenKind.Greater => "_>_",
                TokenKind.GreaterEq => "_>=_",
                TokenKind.EqEq => "_==_",
                TokenKind.NotEq => "_!=_",
                TokenKind.In => "@in",
                _ => null,
            };
            if (name is null)
            {
                return left;
            }
            var op = Next();
            var right = ParseAddition();
            left = new CallExpr(op.Offset, name, null, [left, right]);
        }
    }

    private Expr ParseAddition()
    {
        var left = ParseMultiplication();
        while (Peek.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Next();
            var right = ParseMultiplication();
            left = new CallExpr(op.Offset, op.Kind == TokenKind.Plus ? "_+_" : "_-_", null, [left, right]);
        }
        return left;
    }

    private Expr ParseMultiplication()
    {
        var left = ParseUnary();
        while (Peek.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            var op = Next();
            var right = ParseUnary();
            var name = op.Kind switch
            {
                TokenKind.Star => "_*_",
                TokenKind.Slash => "_/_",
                _ => "_%_",
            };
            left = new CallExpr(op.Offset, name, null, [left, right]);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Peek.Kind == TokenKind.Bang)
        {
            var count = 0;
            var first = Peek;
            while (Peek.Kind == TokenKind.Bang)
            {
                Next();
                count++;
            }
            var operand = ParseMember();
            // An even number of '!' cancels out, as in cel-go.
            return count % 2 == 0 ? operand : new CallExpr(first.Offset, "!_", null, [operand]);
        }
        if (Peek.Kind == TokenKind.Minus)
        {
            var count = 0;
            var first = Peek;
            while (Peek.Kind == TokenKind.Minus)
            {
                Next();
                count++;
            }
            // -<number literal> is a negative literal (so -9223372036854775808 parses).
            if (count % 2 == 1 && Peek.Kind is TokenKind.Int or TokenKind.Double && !IsFollowedByMember())
            {
                var lit = Next();
                Expr negative = lit.Kind == TokenKind.Int
                    ? ParseIntLiteral(lit, negative: true)
                    : new ConstExpr(first.Offset, -ParseDouble(lit));
                count--;
                var result = ParseMemberSuffix(negative);
                return count % 2 == 0 ? result : new CallExpr(first.Offset, "-_", null, [result]);
            }
            var operand = ParseMember();
            return count % 2 == 0 ? operand : new CallExpr(first.Offset, "-_", null, [operand]);
        }
        return ParseMember();
    }

    // -1.foo() applies the call to the literal 1 before negation; keep it a negation of the member expression.
    private bool IsFollowedByMember() => _tokens[_pos + 1].Kind is TokenKind.Dot or TokenKind.LBracket;

    private Expr ParseMember() => ParseMemberSuffix(ParsePrimary());

    private Expr ParseMemberSuffix(Expr expr)
    {
        while (true)
        {
            if (Peek.Kind == TokenKind.Dot)
            {
                var dot = Next();
                var optional = Accept(TokenKind.Question);
                var name = Expect(TokenKind.Ident, "IDENTIFIER");
                if (!optional && Peek.Kind == TokenKind.LParen)
                {
                    // cel-go places a call at its opening parenthesis.
                    var open = Next();
                    var args = ParseArgs(TokenKind.RParen);
                    expr = MemberCall(name with { Offset = open.Offset }, expr, args);
                    continue;
                }
                expr = new SelectExpr(dot.Offset, expr, name.Text, testOnly: false, optional);
                continue;
            }
            if (Peek.Kind == TokenKind.LBracket)
            {
                var open = Next();
                var optional = Accept(TokenKind.Question);
                var index = ParseExpr();
                Expect(TokenKind.RBracket, "']'");
                expr = new CallExpr(open.Offset, optional ? "_[?_]" : "_[_]", null, [expr, index]);
                continue;
            }
            return expr;
        }
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Int:
                Next();
                return ParseIntLiteral(t, negative: false);
            case TokenKind.Uint:
                Next();
                return ParseUintLiteral(t);
            case TokenKind.Double:
                Next();
                return new ConstExpr(t.Offset, ParseDouble(t));
            case TokenKind.String:
                Next();
                return new ConstExpr(t.Offset, (string)t.Value!);
            case TokenKind.Bytes:
                Next();
                return new ConstExpr(t.Offset, new CelBytes((byte[])t.Value!));
            case TokenKind.True:
                Next();
                return new ConstExpr(t.Offset, true);
            case TokenKind.False:
                Next();
                return new ConstExpr(t.Offset, false);
            case TokenKind.Null:
                Next();
                return new ConstExpr(t.Offset, CelNull.Instance);
            case TokenKind.LParen:
            {
                Next();
                var inner = ParseExpr();
                Expect(TokenKind.RParen, "')'");
                return inner;
            }
            case TokenKind.LBracket:
            {
                Next();
                var elements = new List<Expr>();
                var optional = new List<int>();
                while (Peek.Kind != TokenKind.RBracket)
                {
                    if (Accept(TokenKind.Question))
                    {
                        optional.Add(elements.Count);
                    }
                    elements.Add(ParseExpr());
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }
                Expect(TokenKind.RBracket, "']'");
                return new ListExpr(t.Offset, elements, optional);
            }
            case TokenKind.LBrace:
            {
                Next();
                var entries = new List<MapEntry>();
                while (Peek.Kind != TokenKind.RBrace)
                {
                    var optional = Accept(TokenKind.Question);
                    var key = ParseExpr();
                    Expect(TokenKind.Colon, "':'");
                    var value = ParseExpr();
                    entries.Add(new MapEntry(key, value, optional));
                    if (!Accept(TokenKind.Comma))
                    {
                        break;
                    }
                }
                Expect(TokenKind.RBrace, "'}'");
                return new MapExpr(t.Offset, entries);
            }
            case TokenKind.Dot:
            case TokenKind.Ident:
            {
                var leadingDot = Accept(TokenKind.Dot);
                var name = Expect(TokenKind.Ident, "IDENTIFIER");
                CheckReserved(name);
                if (Peek.Kind == TokenKind.LParen)
                {
                    var open = Next();
                    var args = ParseArgs(TokenKind.RParen);
                    return GlobalCall(name with { Offset = open.Offset }, (leadingDot ? "." : "") + name.Text, args);
                }
                // A qualified name followed by '{' is a message construction.
                var qualified = (leadingDot ? "." : "") + name.Text;
                var save = _pos;
                while (Peek.Kind == TokenKind.Dot && _tokens[_pos + 1].Kind == TokenKind.Ident)
                {
                    _pos++;
                    qualified += "." + Next().Text;
                }
                if (Peek.Kind == TokenKind.LBrace)
                {
                    Next();
                    var fields = new List<(string, Expr, bool)>();
                    while (Peek.Kind != TokenKind.RBrace)
                    {
                        var optional = Accept(TokenKind.Question);
                        var field = Expect(TokenKind.Ident, "IDENTIFIER");
                        Expect(TokenKind.Colon, "':'");
                        fields.Add((field.Text, ParseExpr(), optional));
                        if (!Accept(TokenKind.Comma))
                        {
                            break;
                        }
                    }
                    Expect(TokenKind.RBrace, "'}'");
                    return new StructExpr(name.Offset, qualified, fields);
                }
                _pos = save;
                return new IdentExpr(name.Offset, (leadingDot ? "." : "") + name.Text);
            }
            case TokenKind.Eof:
                Error(t, "Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}");
                return null!;
            default:
                Error(t, $"Syntax error: mismatched input '{t.Text}' expecting {{'[', '{{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}}");
                return null!;
        }
    }

    private void CheckReserved(Token name)
    {
        if (Reserved.Contains(name.Text))
        {
            Error(name, $"Syntax error: reserved identifier: {name.Text}");
        }
    }

    private List<Expr> ParseArgs(TokenKind close)
    {
        var args = new List<Expr>();
        while (Peek.Kind != close)
        {
            args.Add(ParseExpr());
            if (!Accept(TokenKind.Comma))
            {
                break;
            }
        }
        Expect(close, close == TokenKind.RParen ? "')'" : "']'");
        return args;
    }

    private Expr GlobalCall(Token name, string function, List<Expr> args)
    {
        if (function == "has")
        {
            if (args.Count != 1 || args[0] is not SelectExpr { TestOnly: false, Optional: false } select)
            {
                Error(name, "invalid argument to has() macro");
                return null!;
            }
            return new SelectExpr(select.Offset, select.Operand, select.Field, testOnly: true);
        }
        return new CallExpr(name.Offset, function, null, args);
    }

    private Expr MemberCall(Token name, Expr target, List<Expr> args)
    {
        var offset = name.Offset;
        string Var(Expr e, string macro)
        {
            if (e is IdentExpr { Name: var n } && !n.StartsWith('.'))
            {
                return n;
            }
            Error(name, $"{macro}() variable name must be a simple identifier");
            return null!;
        }
        switch (name.Text, args.Count)
        {
            case ("all", 2):
                return new ComprehensionExpr(offset, ComprehensionKind.All, Var(args[0], "all"), null, target, args[1], null);
            case ("all", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.All, Var(args[0], "all"), Var(args[1], "all"), target, args[2], null);
            case ("exists", 2):
                return new ComprehensionExpr(offset, ComprehensionKind.Exists, Var(args[0], "exists"), null, target, args[1], null);
            case ("exists", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.Exists, Var(args[0], "exists"), Var(args[1], "exists"), target, args[2], null);
            case ("exists_one", 2):
            case ("existsOne", 2):
                return new ComprehensionExpr(offset, ComprehensionKind.ExistsOne, Var(args[0], name.Text), null, target, args[1], null);
            case ("exists_one", 3):
            case ("existsOne", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.ExistsOne, Var(args[0], name.Text), Var(args[1], name.Text), target, args[2], null);
            case ("map", 2):
                return new ComprehensionExpr(offset, ComprehensionKind.Map, Var(args[0], "map"), null, target, args[1], null);
            case ("map", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.MapFilter, Var(args[0], "map"), null, target, args[2], args[1]);
            case ("filter", 2):
                return new ComprehensionExpr(offset, ComprehensionKind.Filter, Var(args[0], "filter"), null, target, args[1], null);
            case ("transformList", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformList, Var(args[0], name.Text), Var(args[1], name.Text), target, args[2], null);
            case ("transformList", 4):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformListFilter, Var(args[0], name.Text), Var(args[1], name.Text), target, args[3], args[2]);
            case ("transformMap", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformMap, Var(args[0], name.Text), Var(args[1], name.Text), target, args[2], null);
            case ("transformMap", 4):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformMapFilter, Var(args[0], name.Text), Var(args[1], name.Text), target, args[3], args[2]);
            case ("transformMapEntry", 3):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformMapEntry, Var(args[0], name.Text), Var(args[1], name.Text), target, args[2], null);
            case ("transformMapEntry", 4):
                return new ComprehensionExpr(offset, ComprehensionKind.TransformMapEntryFilter, Var(args[0], name.Text), Var(args[1], name.Text), target, args[3], args[2]);
            case ("bind", 3) when target is IdentExpr { Name: "cel" }:
                return new BindExpr(offset, Var(args[0], "cel.bind"), args[1], args[2]);
        }
        return new CallExpr(offset, name.Text, target, args);
    }

    private Expr ParseIntLiteral(Token t, bool negative)
    {
        var text = t.Text;
        var isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var digits = isHex ? text[2..] : text;
        if (!System.Numerics.BigInteger.TryParse(isHex ? "0" + digits : digits, isHex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            Error(t, "invalid int literal");
        }
        if (negative)
        {
            value = -value;
        }
        if (value < long.MinValue || value > long.MaxValue)
        {
            Error(t, "invalid int literal");
        }
        return new ConstExpr(t.Offset, (long)value);
    }

    private Expr ParseUintLiteral(Token t)
    {
        var text = t.Text[..^1];
        var isHex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!ulong.TryParse(isHex ? text[2..] : text, isHex ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            Error(t, "invalid uint literal");
        }
        return new ConstExpr(t.Offset, value);
    }

    private static double ParseDouble(Token t) => double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

internal enum TokenKind
{
    Eof,
    Ident,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    True,
    False,
    Null,
    In,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Dot,
    Comma,
    Colon,
    Question,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    EqEq,
    NotEq,
    AndAnd,
    OrOr,
}

internal readonly record struct Token(TokenKind Kind, int Offset, string Text, object? Value = null);

internal static class Lexer
{
    public static List<Token> Tokenize(string s, List<CelIssue> issues)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }
                continue;
            }
            var start = i;
            // String and bytes literals, with r/b prefixes in either order and case.
            if (c is '\'' or '"' || (c is 'r' or 'R' or 'b' or 'B' && StringStart(s, i, out _)))
            {
                StringStart(s, i, out var prefixLength);
                var prefix = s.Substring(i, prefixLength).ToLowerInvariant();
                i += prefixLength;
                var raw = prefix.Contains('r', StringComparison.Ordinal);
                var bytes = prefix.Contains('b', StringComparison.Ordinal);
                if (!ReadString(s, ref i, raw, bytes, out var value, out var error))
                {
                    issues.Add(new CelIssue(start, "Syntax error: " + error));
                    return tokens;
                }
                tokens.Add(new Token(bytes ? TokenKind.Bytes : TokenKind.String, start, s[start..i], value));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                tokens.Add(ReadNumber(s, ref i, issues));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }
                var word = s[start..i];
                var kind = word switch
                {
                    "true" => TokenKind.True,
                    "false" => TokenKind.False,
                    "null" => TokenKind.Null,
                    "in" => TokenKind.In,
                    _ => TokenKind.Ident,
                };
                tokens.Add(new Token(kind, start, word));
                continue;
            }
            var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
            TokenKind? twoKind = two switch
            {
                "<=" => TokenKind.LessEq,
                ">=" => TokenKind.GreaterEq,
                "==" => TokenKind.EqEq,
                "!=" => TokenKind.NotEq,
                "&&" => TokenKind.AndAnd,
                "||" => TokenKind.OrOr,
                _ => null,
            };
            if (twoKind is { } tk)
            {
                tokens.Add(new Token(tk, start, two));
                i += 2;
                continue;
            }
            TokenKind? oneKind = c switch
            {
                '(' => TokenKind.LParen,
                ')' => TokenKind.RParen,
                '[' => TokenKind.LBracket,
                ']' => TokenKind.RBracket,
                '{' => TokenKind.LBrace,
                '}' => TokenKind.RBrace,
                '.' => TokenKind.Dot,
                ',' => TokenKind.Comma,
                ':' => TokenKind.Colon,
                '?' => TokenKind.Question,
                '+' => TokenKind.Plus,
                '-' => TokenKind.Minus,
                '*' => TokenKind.Star,
                '/' => TokenKind.Slash,
                '%' => TokenKind.Percent,
                '!' => TokenKind.Bang,
                '<' => TokenKind.Less,
                '>' => TokenKind.Greater,
                _ => null,
            };
            if (oneKind is { } ok)
            {
                tokens.Add(new Token(ok, start, c.ToString()));
                i++;
                continue;
            }
            issues.Add(new CelIssue(start, $"Syntax error: token recognition error at: '{c}'"));
            return tokens;
        }
        tokens.Add(new Token(TokenKind.Eof, s.Length, ""));
        return tokens;
    }

    private static bool StringStart(string s, int i, out int prefixLength)
    {
        prefixLength = 0;
        var j = i;
        var seenR = false;
        var seenB = false;
        while (j < s.Length && j - i < 2)
        {
            var c = char.ToLowerInvariant(s[j]);
            if (c == 'r' && !seenR)
            {
                seenR = true;
                j++;
            }
            else if (c == 'b' && !seenB)
            {
                seenB = true;
                j++;
            }
            else
            {
                break;
            }
        }
        if (j < s.Length && s[j] is '\'' or '"')
        {
            prefixLength = j - i;
            return true;
        }
        return false;
    }

    private static Token ReadNumber(string s, ref int i, List<CelIssue> issues)
    {
        var start = i;
        if (s[i] == '0' && i + 1 < s.Length && s[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < s.Length && Uri.IsHexDigit(s[i]))
            {
                i++;
            }
            if (i < s.Length && s[i] is 'u' or 'U')
            {
                i++;
                return new Token(TokenKind.Uint, start, s[start..i]);
            }
            return new Token(TokenKind.Int, start, s[start..i]);
        }
        var isDouble = false;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }
        if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < s.Length && s[j] is '+' or '-')
            {
                j++;
            }
            if (j < s.Length && char.IsAsciiDigit(s[j]))
            {
                isDouble = true;
                i = j;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
            }
        }
        if (!isDouble && i < s.Length && s[i] is 'u' or 'U')
        {
            i++;
            return new Token(TokenKind.Uint, start, s[start..i]);
        }
        _ = issues;
        return new Token(isDouble ? TokenKind.Double : TokenKind.Int, start, s[start..i]);
    }

    private static bool ReadString(string s, ref int i, bool raw, bool bytes, out object? value, out string? error)
    {
        value = null;
        error = null;
        var quote = s[i];
        var triple = i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote;
        i += triple ? 3 : 1;
        var buffer = new List<byte>();
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length)
            {
                error = "unterminated string literal";
                return false;
            }
            var c = s[i];
            if (triple ? (c == quote && i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote) : c == quote)
            {
                i += triple ? 3 : 1;
                break;
            }
            if (!triple && c is '\n' or '\r')
            {
                error = "unterminated string literal";
                return false;
            }
            if (c == '\\' && !raw)
            {
                if (i + 1 >= s.Length)
                {
                    error = "unterminated string literal";
                    return false;
                }
                var e = s[i + 1];
                i += 2;
                switch (e)
                {
                    case 'a': Append('\a'); break;
                    case 'b': Append('\b'); break;
                    case 'f': Append('\f'); break;
                    case 'n': Append('\n'); break;
                    case 'r': Append('\r'); break;
                    case 't': Append('\t'); break;
                    case 'v': Append('\v'); break;
                    case '\\': Append('\\'); break;
                    case '\'': Append('\''); break;
                    case '"': Append('"'); break;
                    case '`': Append('`'); break;
                    case '?': Append('?'); break;
                    case 'x':
                    case 'X':
                    {
                        if (i + 2 > s.Length || !Uri.IsHexDigit(s[i]) || !Uri.IsHexDigit(s[i + 1]))
                        {
                            error = "invalid escape sequence";
                            return false;
                        }
                        var v = int.Parse(s.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        i += 2;
                        if (bytes)
                        {
                            buffer.Add((byte)v);
                        }
                        else
                        {
                            sb.Append((char)v);
                        }
                        break;
                    }
                    case 'u':
                    case 'U':
                    {
                        var n = e == 'u' ? 4 : 8;
                        if (bytes || i + n > s.Length || !int.TryParse(s.AsSpan(i, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp) ||
                            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        {
                            error = "invalid escape sequence";
                            return false;
                        }
                        i += n;
                        sb.Append(char.ConvertFromUtf32(cp));
                        break;
                    }
                    default:
                        if (e is >= '0' and <= '3' && i + 2 <= s.Length && s[i] is >= '0' and <= '7' && s[i + 1] is >= '0' and <= '7')
                        {
                            var v = (e - '0') * 64 + (s[i] - '0') * 8 + (s[i + 1] - '0');
                            i += 2;
                            if (bytes)
                            {
                                buffer.Add((byte)v);
                            }
                            else
                            {
                                sb.Append((char)v);
                            }
                            break;
                        }
                        error = "invalid escape sequence";
                        return false;
                }
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < s.Length)
            {
                Append(s.Substring(i, 2));
                i += 2;
                continue;
            }
            Append(c.ToString());
            i++;
        }
        value = bytes ? buffer.ToArray() : sb.ToString();
        return true;

        void Append(object text)
        {
            var str = text as string ?? ((char)text).ToString();
            if (bytes)
            {
                buffer.AddRange(Encoding.UTF8.GetBytes(str));
            }
            else
            {
                sb.Append(str);
            }
        }
    }
}
