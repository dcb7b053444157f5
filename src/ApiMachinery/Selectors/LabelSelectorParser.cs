using System.Text;
using ApiMachinery.Validation;

namespace ApiMachinery.Selectors;

/// <summary>
/// The lexer and recursive-descent parser of k8s.io/apimachinery/pkg/labels/selector.go, kept token for
/// token so that error messages come out identical.
/// </summary>
internal sealed class LabelSelectorParser
{
    private enum Token
    {
        Error,
        EndOfString,
        ClosedPar,
        Comma,
        DoesNotExist,
        DoubleEquals,
        EqualsSign,
        GreaterThan,
        Identifier,
        In,
        LessThan,
        NotEquals,
        NotIn,
        OpenPar,
    }

    // Inside value lists, "in" and "notin" are plain identifiers.
    private enum Context
    {
        KeyAndOperator,
        Values,
    }

    private static readonly Dictionary<string, Token> StringToToken = new(StringComparer.Ordinal)
    {
        [")"] = Token.ClosedPar,
        [","] = Token.Comma,
        ["!"] = Token.DoesNotExist,
        ["=="] = Token.DoubleEquals,
        ["="] = Token.EqualsSign,
        [">"] = Token.GreaterThan,
        ["in"] = Token.In,
        ["<"] = Token.LessThan,
        ["!="] = Token.NotEquals,
        ["notin"] = Token.NotIn,
        ["("] = Token.OpenPar,
    };

    private const string BinaryOperators = "in, notin, =, ==, !=, gt, lt";

    private readonly string _input;
    private readonly FieldPath? _path;
    private readonly List<(Token Tok, string Literal)> _items = [];
    private int _lexPos;
    private int _position;

    public LabelSelectorParser(string input, FieldPath? path)
    {
        _input = input;
        _path = path;
    }

    public List<LabelRequirement> Parse()
    {
        Scan();
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var (tok, lit) = Lookahead(Context.Values);
            switch (tok)
            {
                case Token.Identifier:
                case Token.DoesNotExist:
                    LabelRequirement requirement;
                    try
                    {
                        requirement = ParseRequirement();
                    }
                    catch (SelectorParseException e)
                    {
                        throw new SelectorParseException("unable to parse requirement: " + e.Message);
                    }
                    requirements.Add(requirement);
                    var (t, l) = Consume(Context.Values);
                    switch (t)
                    {
                        case Token.EndOfString:
                            return requirements;
                        case Token.Comma:
                            var (t2, l2) = Lookahead(Context.Values);
                            if (t2 != Token.Identifier && t2 != Token.DoesNotExist)
                            {
                                throw new SelectorParseException($"found '{l2}', expected: identifier after ','");
                            }
                            break;
                        default:
                            throw new SelectorParseException($"found '{l}', expected: ',' or 'end of string'");
                    }
                    break;
                case Token.EndOfString:
                    return requirements;
                default:
                    throw new SelectorParseException($"found '{lit}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelRequirement ParseRequirement()
    {
        var (key, op) = ParseKeyAndInferOperator();
        if (op is SelectionOperator.Exists or SelectionOperator.DoesNotExist)
        {
            return LabelRequirement.Create(key, op.Value, [], _path);
        }
        var binary = ParseOperator();
        var values = binary is SelectionOperator.In or SelectionOperator.NotIn ? ParseValues() : ParseExactValue();
        return LabelRequirement.Create(key, binary, values.Order(StringComparer.Ordinal), _path);
    }

    private (string Key, SelectionOperator? Op) ParseKeyAndInferOperator()
    {
        SelectionOperator? op = null;
        var (tok, literal) = Consume(Context.Values);
        if (tok == Token.DoesNotExist)
        {
            op = SelectionOperator.DoesNotExist;
            (tok, literal) = Consume(Context.Values);
        }
        if (tok != Token.Identifier)
        {
            throw new SelectorParseException($"found '{literal}', expected: identifier");
        }
        if (LabelRequirement.ValidateKey(literal, _path) is { } keyError)
        {
            throw new SelectorParseException(keyError.ToString());
        }
        var (next, _) = Lookahead(Context.Values);
        if ((next == Token.EndOfString || next == Token.Comma) && op != SelectionOperator.DoesNotExist)
        {
            op = SelectionOperator.Exists;
        }
        return (literal, op);
    }

    private SelectionOperator ParseOperator()
    {
        var (tok, lit) = Consume(Context.KeyAndOperator);
        return tok switch
        {
            Token.In => SelectionOperator.In,
            Token.EqualsSign => SelectionOperator.Equals,
            Token.DoubleEquals => SelectionOperator.DoubleEquals,
            Token.GreaterThan => SelectionOperator.GreaterThan,
            Token.LessThan => SelectionOperator.LessThan,
            Token.NotIn => SelectionOperator.NotIn,
            Token.NotEquals => SelectionOperator.NotEquals,
            _ => throw new SelectorParseException($"found '{lit}', expected: {BinaryOperators}"),
        };
    }

    private HashSet<string> ParseValues()
    {
        var (tok, lit) = Consume(Context.Values);
        if (tok != Token.OpenPar)
        {
            throw new SelectorParseException($"found '{lit}' expected: '('");
        }
        (tok, lit) = Lookahead(Context.Values);
        switch (tok)
        {
            case Token.Identifier:
            case Token.Comma:
                var set = ParseIdentifiersList();
                // kube reports the literal seen right after '(' here, not the offending one.
                if (Consume(Context.Values).Tok != Token.ClosedPar)
                {
                    throw new SelectorParseException($"found '{lit}', expected: ')'");
                }
                return set;
            case Token.ClosedPar:
                Consume(Context.Values);
                return [""];
            default:
                throw new SelectorParseException($"found '{lit}', expected: ',', ')' or identifier");
        }
    }

    private HashSet<string> ParseIdentifiersList()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var (tok, lit) = Consume(Context.Values);
            switch (tok)
            {
                case Token.Identifier:
                    set.Add(lit);
                    var (tok2, lit2) = Lookahead(Context.Values);
                    switch (tok2)
                    {
                        case Token.Comma:
                            continue;
                        case Token.ClosedPar:
                            return set;
                        default:
                            throw new SelectorParseException($"found '{lit2}', expected: ',' or ')'");
                    }
                case Token.Comma:
                    // "(," ",)" and ",," each stand for an empty value.
                    if (set.Count == 0)
                    {
                        set.Add("");
                    }
                    var (next, _) = Lookahead(Context.Values);
                    if (next == Token.ClosedPar)
                    {
                        set.Add("");
                        return set;
                    }
                    if (next == Token.Comma)
                    {
                        Consume(Context.Values);
                        set.Add("");
                    }
                    break;
                default:
                    throw new SelectorParseException($"found '{lit}', expected: ',', or identifier");
            }
        }
    }

    private HashSet<string> ParseExactValue()
    {
        var (tok, _) = Lookahead(Context.Values);
        if (tok == Token.EndOfString || tok == Token.Comma)
        {
            return [""];
        }
        var (consumed, lit) = Consume(Context.Values);
        if (consumed == Token.Identifier)
        {
            return [lit];
        }
        throw new SelectorParseException($"found '{lit}', expected: identifier");
    }

    private (Token Tok, string Literal) Lookahead(Context context) => Adjust(Item(_position), context);

    private (Token Tok, string Literal) Consume(Context context)
    {
        var item = Item(_position);
        _position++;
        return Adjust(item, context);
    }

    private (Token Tok, string Literal) Item(int index) =>
        index < _items.Count ? _items[index] : (Token.EndOfString, "");

    private static (Token Tok, string Literal) Adjust((Token Tok, string Literal) item, Context context) =>
        context == Context.Values && item.Tok is Token.In or Token.NotIn ? (Token.Identifier, item.Literal) : item;

    private void Scan()
    {
        while (true)
        {
            var item = Lex();
            _items.Add(item);
            if (item.Tok == Token.EndOfString)
            {
                return;
            }
        }
    }

    // Go's lexer reads bytes and treats a zero byte like the end of input.
    private char Read()
    {
        if (_lexPos < _input.Length)
        {
            return _input[_lexPos++];
        }
        return '\0';
    }

    private void Unread() => _lexPos--;

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecialSymbol(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

    private (Token Tok, string Literal) Lex()
    {
        var ch = Read();
        while (IsWhitespace(ch))
        {
            ch = Read();
        }
        if (ch == '\0')
        {
            return (Token.EndOfString, "");
        }
        Unread();
        return IsSpecialSymbol(ch) ? ScanSpecialSymbol() : ScanIdOrKeyword();
    }

    private (Token Tok, string Literal) ScanIdOrKeyword()
    {
        var buffer = new StringBuilder();
        while (true)
        {
            var ch = Read();
            if (ch == '\0')
            {
                break;
            }
            if (IsSpecialSymbol(ch) || IsWhitespace(ch))
            {
                Unread();
                break;
            }
            buffer.Append(ch);
        }
        var s = buffer.ToString();
        return StringToToken.TryGetValue(s, out var tok) ? (tok, s) : (Token.Identifier, s);
    }

    private (Token Tok, string Literal) ScanSpecialSymbol()
    {
        (Token Tok, string Literal)? last = null;
        var buffer = new StringBuilder();
        while (true)
        {
            var ch = Read();
            if (ch == '\0')
            {
                break;
            }
            if (IsSpecialSymbol(ch))
            {
                buffer.Append(ch);
                if (StringToToken.TryGetValue(buffer.ToString(), out var tok))
                {
                    last = (tok, buffer.ToString());
                }
                else if (last is not null)
                {
                    Unread();
                    break;
                }
            }
            else
            {
                Unread();
                break;
            }
        }
        return last ?? (Token.Error, $"error expected: keyword found '{buffer}'");
    }
}
