using System.Globalization;
using System.Text;

namespace CelConformance;

/// <summary>
/// A protobuf text-format message read without its schema: each field name maps to the values it was given, in
/// order. A value is a <see cref="TextProtoMessage"/>, a <see cref="TextProtoString"/> (quoted, kept as bytes)
/// or a <see cref="TextProtoScalar"/> (a number or an enum name). Enough for cel-spec's conformance files.
/// </summary>
internal sealed class TextProtoMessage
{
    public List<(string Name, object Value)> Fields { get; } = [];

    public IEnumerable<object> All(string name) => Fields.Where(f => f.Name == name).Select(f => f.Value);

    public object? One(string name) => Fields.LastOrDefault(f => f.Name == name).Value;

    public TextProtoMessage? Message(string name) => One(name) as TextProtoMessage;

    public string? Text(string name) => One(name) switch
    {
        TextProtoString s => s.Text,
        TextProtoScalar s => s.Token,
        _ => null,
    };

    public bool Flag(string name) => Text(name) is "true" or "1";

    public static TextProtoMessage Parse(string text)
    {
        var reader = new Reader(text);
        var message = reader.ReadFields(endToken: null);
        return message;
    }

    private sealed class Reader(string text)
    {
        private int _pos;

        public TextProtoMessage ReadFields(char? endToken)
        {
            var message = new TextProtoMessage();
            while (true)
            {
                SkipSpace();
                if (_pos >= text.Length)
                {
                    if (endToken is not null)
                    {
                        throw Error("unexpected end of input");
                    }
                    return message;
                }
                if (endToken is not null && text[_pos] == endToken)
                {
                    _pos++;
                    return message;
                }
                var name = ReadName();
                SkipSpace();
                var colon = false;
                if (Peek() == ':')
                {
                    _pos++;
                    colon = true;
                    SkipSpace();
                }
                if (Peek() is '{' or '<')
                {
                    var close = text[_pos] == '{' ? '}' : '>';
                    _pos++;
                    message.Fields.Add((name, ReadFields(close)));
                }
                else if (Peek() == '[')
                {
                    _pos++;
                    SkipSpace();
                    while (Peek() != ']')
                    {
                        message.Fields.Add((name, ReadValue()));
                        SkipSpace();
                        if (Peek() == ',')
                        {
                            _pos++;
                            SkipSpace();
                        }
                    }
                    _pos++;
                }
                else if (colon)
                {
                    message.Fields.Add((name, ReadValue()));
                }
                else
                {
                    throw Error($"expected ':' or '{{' after {name}");
                }
                SkipSpace();
                if (Peek() is ',' or ';')
                {
                    _pos++;
                }
            }
        }

        private object ReadValue()
        {
            SkipSpace();
            if (Peek() is '{' or '<')
            {
                var close = text[_pos] == '{' ? '}' : '>';
                _pos++;
                return ReadFields(close);
            }
            if (Peek() is '"' or '\'')
            {
                var bytes = new List<byte>();
                // Adjacent string literals concatenate.
                while (Peek() is '"' or '\'')
                {
                    ReadString(bytes);
                    SkipSpace();
                }
                return new TextProtoString(bytes.ToArray());
            }
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] is '-' or '+' or '.' or '_'))
            {
                _pos++;
            }
            if (start == _pos)
            {
                throw Error("expected a value");
            }
            return new TextProtoScalar(text[start.._pos]);
        }

        private string ReadName()
        {
            if (Peek() == '[')
            {
                var end = text.IndexOf(']', _pos);
                var name = text[_pos..(end + 1)];
                _pos = end + 1;
                return name;
            }
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }
            if (start == _pos)
            {
                throw Error("expected a field name");
            }
            return text[start.._pos];
        }

        private void ReadString(List<byte> bytes)
        {
            var quote = text[_pos++];
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw Error("unterminated string");
                }
                var c = text[_pos++];
                if (c == quote)
                {
                    return;
                }
                if (c != '\\')
                {
                    if (char.IsHighSurrogate(c))
                    {
                        bytes.AddRange(Encoding.UTF8.GetBytes(text.Substring(_pos - 1, 2)));
                        _pos++;
                    }
                    else
                    {
                        bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                    }
                    continue;
                }
                var e = text[_pos++];
                switch (e)
                {
                    case 'n': bytes.Add((byte)'\n'); break;
                    case 'r': bytes.Add((byte)'\r'); break;
                    case 't': bytes.Add((byte)'\t'); break;
                    case 'a': bytes.Add(7); break;
                    case 'b': bytes.Add(8); break;
                    case 'f': bytes.Add(12); break;
                    case 'v': bytes.Add(11); break;
                    case '?': bytes.Add((byte)'?'); break;
                    case '\\': bytes.Add((byte)'\\'); break;
                    case '\'': bytes.Add((byte)'\''); break;
                    case '"': bytes.Add((byte)'"'); break;
                    case 'x':
                    case 'X':
                    {
                        var start = _pos;
                        while (_pos < text.Length && _pos - start < 2 && Uri.IsHexDigit(text[_pos]))
                        {
                            _pos++;
                        }
                        bytes.Add(byte.Parse(text[start.._pos], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        break;
                    }
                    case 'u':
                    case 'U':
                    {
                        var n = e == 'u' ? 4 : 8;
                        var cp = int.Parse(text.Substring(_pos, n), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                        _pos += n;
                        bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(cp)));
                        break;
                    }
                    default:
                        if (e is >= '0' and <= '7')
                        {
                            var value = e - '0';
                            for (var i = 0; i < 2 && _pos < text.Length && text[_pos] is >= '0' and <= '7'; i++)
                            {
                                value = value * 8 + (text[_pos++] - '0');
                            }
                            bytes.Add((byte)value);
                            break;
                        }
                        throw Error($"unknown escape \\{e}");
                }
            }
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private void SkipSpace()
        {
            while (_pos < text.Length)
            {
                if (char.IsWhiteSpace(text[_pos]))
                {
                    _pos++;
                }
                else if (text[_pos] == '#')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        _pos++;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private FormatException Error(string message)
        {
            var line = text.Take(_pos).Count(c => c == '\n') + 1;
            return new FormatException($"line {line}: {message}");
        }
    }
}

/// <summary>A quoted value: the bytes it spells (a bytes field), or their UTF-8 text (a string field).</summary>
internal sealed record TextProtoString(byte[] Bytes)
{
    public string Text => Encoding.UTF8.GetString(Bytes);
}

/// <summary>An unquoted value: a number, true/false, or an enum name.</summary>
internal sealed record TextProtoScalar(string Token);
