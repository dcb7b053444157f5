using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ApiMachinery.Json;
using ApiMachinery.Meta;
using ApiMachinery.Text;

namespace ApiMachinery.Serialization;

/// <summary>
/// Writes a JSON tree as sigs.k8s.io/yaml's JSONToYAML does: go-yaml v2's encoder choosing scalar styles
/// and libyaml's emitter (emitterc.go) laying them out — block style, 2-space indent, sequences in maps
/// not indented, empty collections as {} and [], lines wrapped near column 80. The state variables and
/// their updates follow emitterc.go so the output matches byte for byte.
/// </summary>
internal sealed class YamlEmitter
{
    private const int BestIndent = 2;
    private const int BestWidth = 80;

    private enum ScalarStyle
    {
        Plain,
        SingleQuoted,
        DoubleQuoted,
        Literal,
    }

    private readonly StringBuilder _out = new();
    private readonly Stack<int> _indents = new();
    private int _indent = -1;
    private int _column;
    private int _flowLevel;
    private bool _whitespace = true;
    private bool _indention = true;
    private bool _mappingContext;
    private bool _simpleKeyContext;

    public static string Emit(JsonNode? node)
    {
        var nextLines = 0;
        CheckAsGoYamlReads(node, ref nextLines);
        var emitter = new YamlEmitter();
        emitter.EmitNode(node, mapping: false, simpleKey: false);
        emitter.WriteIndent();
        return emitter._out.ToString();
    }

    private void EmitNode(JsonNode? node, bool mapping, bool simpleKey)
    {
        _mappingContext = mapping;
        _simpleKeyContext = simpleKey;
        switch (node)
        {
            case JsonObject obj:
                if (_flowLevel > 0 || obj.Count == 0)
                {
                    EmitFlowMapping(obj);
                }
                else
                {
                    EmitBlockMapping(obj);
                }
                break;
            case JsonArray array:
                if (_flowLevel > 0 || array.Count == 0)
                {
                    EmitFlowSequence(array);
                }
                else
                {
                    EmitBlockSequence(array);
                }
                break;
            default:
                var (text, style) = ScalarOf(node);
                EmitScalar(text, style);
                break;
        }
    }

    // go-yaml's encoder: strings with a newline ask for literal style, strings that would read back as another
    // type for double quotes, everything else (numbers, booleans, null too) for plain.
    private static (string Text, ScalarStyle Style) ScalarOf(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return ("null", ScalarStyle.Plain);
        }
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var s = FoldNextLines(value.AsString() ?? "");
                if (s.Contains('\n', StringComparison.Ordinal))
                {
                    return (s, ScalarStyle.Literal);
                }
                return (s, YamlResolver.CanUsePlain(s) ? ScalarStyle.Plain : ScalarStyle.DoubleQuoted);
            case JsonValueKind.True:
                return ("true", ScalarStyle.Plain);
            case JsonValueKind.False:
                return ("false", ScalarStyle.Plain);
            case JsonValueKind.Number:
                return (FormatNumber(value.ToJsonString()), ScalarStyle.Plain);
            default:
                return ("null", ScalarStyle.Plain);
        }
    }

    // JSONToYAML first reads Go's JSON text back with go-yaml, whose reader rejects characters that
    // encoding/json leaves unescaped (DEL, C1 controls, U+FFFE/U+FFFF) and treats a raw NEL (U+0085) as a
    // line break: fatal inside a key, folded like a line break inside a value. The pre-pass raises those
    // errors in document order; line numbers count the NELs seen so far, as go-yaml's do.
    internal static void Check(JsonNode? node, ref int nextLines) => CheckAsGoYamlReads(node, ref nextLines);

    private static void CheckAsGoYamlReads(JsonNode? node, ref int nextLines)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    CheckCharacters(key);
                    if (key.Contains('\u0085', StringComparison.Ordinal))
                    {
                        throw new YamlJsonException(string.Create(CultureInfo.InvariantCulture,
                            $"yaml: line {nextLines + 1}: did not find expected ',' or '}}'"));
                    }
                    CheckAsGoYamlReads(value, ref nextLines);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    CheckAsGoYamlReads(item, ref nextLines);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var s = value.AsString() ?? "";
                CheckCharacters(s);
                CheckDocumentIndicators(s, ref nextLines);
                break;
        }
    }

    private static void CheckCharacters(string s)
    {
        foreach (var rune in GoText.EnumerateRunesLenient(s))
        {
            var c = rune.Value;
            if (c == 0x7F || (c >= 0x80 && c <= 0x9F && c != 0x85) || c is 0xFFFE or 0xFFFF)
            {
                throw new YamlJsonException("yaml: control characters are not allowed");
            }
        }
    }

    // After a NEL the scanner is at column 0, where "---" or "..." followed by a blank ends the document.
    private static void CheckDocumentIndicators(string s, ref int nextLines)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '\u0085')
            {
                continue;
            }
            nextLines++;
            var rest = s.AsSpan(i + 1);
            if (rest.Length >= 4 && (rest.StartsWith("---") || rest.StartsWith("...")) && rest[3] is ' ' or '\u0085')
            {
                throw new YamlJsonException(string.Create(CultureInfo.InvariantCulture,
                    $"yaml: line {nextLines + 1}: found unexpected document indicator"));
            }
        }
    }

    // libyaml's flow-scalar folding where the only raw blanks are spaces and the only raw break is NEL
    // (encoding/json escapes tabs, CR, LF, U+2028 and U+2029).
    private static string FoldNextLines(string s)
    {
        if (!s.Contains('\u0085', StringComparison.Ordinal))
        {
            return s;
        }
        var result = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && s[i] != ' ' && s[i] != '\u0085')
            {
                result.Append(s[i++]);
            }
            var whitespaces = new StringBuilder();
            var leadingBlanks = false;
            var trailingBreaks = 0;
            while (i < s.Length && (s[i] == ' ' || s[i] == '\u0085'))
            {
                if (s[i] == ' ')
                {
                    if (!leadingBlanks)
                    {
                        whitespaces.Append(' ');
                    }
                }
                else if (!leadingBlanks)
                {
                    whitespaces.Clear();
                    leadingBlanks = true;
                }
                else
                {
                    trailingBreaks++;
                }
                i++;
            }
            if (leadingBlanks)
            {
                result.Append(trailingBreaks == 0 ? " " : new string('\n', trailingBreaks));
            }
            else
            {
                result.Append(whitespaces);
            }
        }
        return result.ToString();
    }

    // A JSON number read back by go-yaml: an int if it parses as one, else a uint64, else a float printed with %g.
    private static string FormatNumber(string raw)
    {
        if (YamlResolver.TryParseGoInt(raw, out var l))
        {
            return l.ToString(CultureInfo.InvariantCulture);
        }
        if (YamlResolver.TryParseGoUint(raw, out var u))
        {
            return u.ToString(CultureInfo.InvariantCulture);
        }
        var d = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        var s = GoText.FormatFloat(d, 'g');
        return s switch
        {
            "+Inf" => ".inf",
            "-Inf" => "-.inf",
            "NaN" => ".nan",
            _ => s,
        };
    }

    private void EmitBlockMapping(JsonObject obj)
    {
        IncreaseIndent(flow: false, indentless: false);
        foreach (var key in SortedKeys(obj))
        {
            WriteIndent();
            var keyAnalysis = Analyze(key);
            if (IsSimpleKey(key, keyAnalysis))
            {
                EmitNode(JsonValue.Create(key), mapping: false, simpleKey: true);
                WriteIndicator(":", needWhitespace: false, isWhitespace: false, isIndention: false);
            }
            else
            {
                WriteIndicator("?", needWhitespace: true, isWhitespace: false, isIndention: true);
                EmitNode(JsonValue.Create(key), mapping: true, simpleKey: false);
                WriteIndent();
                WriteIndicator(":", needWhitespace: true, isWhitespace: false, isIndention: true);
            }
            EmitNode(obj[key], mapping: true, simpleKey: false);
        }
        PopIndent();
    }

    private void EmitBlockSequence(JsonArray array)
    {
        IncreaseIndent(flow: false, indentless: _mappingContext && !_indention);
        foreach (var item in array)
        {
            WriteIndent();
            WriteIndicator("-", needWhitespace: true, isWhitespace: false, isIndention: true);
            EmitNode(item, mapping: false, simpleKey: false);
        }
        PopIndent();
    }

    private void EmitFlowMapping(JsonObject obj)
    {
        WriteIndicator("{", needWhitespace: true, isWhitespace: true, isIndention: false);
        IncreaseIndent(flow: true, indentless: false);
        _flowLevel++;
        var first = true;
        foreach (var key in SortedKeys(obj))
        {
            if (!first)
            {
                WriteIndicator(",", needWhitespace: false, isWhitespace: false, isIndention: false);
            }
            first = false;
            if (_column > BestWidth)
            {
                WriteIndent();
            }
            if (IsSimpleKey(key, Analyze(key)))
            {
                EmitNode(JsonValue.Create(key), mapping: false, simpleKey: true);
                WriteIndicator(":", needWhitespace: false, isWhitespace: false, isIndention: false);
            }
            else
            {
                WriteIndicator("?", needWhitespace: true, isWhitespace: false, isIndention: false);
                EmitNode(JsonValue.Create(key), mapping: true, simpleKey: false);
                if (_column > BestWidth)
                {
                    WriteIndent();
                }
                WriteIndicator(":", needWhitespace: true, isWhitespace: false, isIndention: false);
            }
            EmitNode(obj[key], mapping: true, simpleKey: false);
        }
        _flowLevel--;
        PopIndent();
        WriteIndicator("}", needWhitespace: false, isWhitespace: false, isIndention: false);
    }

    private void EmitFlowSequence(JsonArray array)
    {
        WriteIndicator("[", needWhitespace: true, isWhitespace: true, isIndention: false);
        IncreaseIndent(flow: true, indentless: false);
        _flowLevel++;
        for (var i = 0; i < array.Count; i++)
        {
            if (i > 0)
            {
                WriteIndicator(",", needWhitespace: false, isWhitespace: false, isIndention: false);
            }
            if (_column > BestWidth)
            {
                WriteIndent();
            }
            EmitNode(array[i], mapping: false, simpleKey: false);
        }
        _flowLevel--;
        PopIndent();
        WriteIndicator("]", needWhitespace: false, isWhitespace: false, isIndention: false);
    }

    private static List<string> SortedKeys(JsonObject obj)
    {
        var keys = obj.Select(p => p.Key).ToList();
        // A stable merge sort: go-yaml's comparison is not a total order for every input, and List.Sort
        // may misbehave with such a comparer.
        return MergeSort(keys);
    }

    private static List<string> MergeSort(List<string> items)
    {
        if (items.Count <= 1)
        {
            return items;
        }
        var mid = items.Count / 2;
        var left = MergeSort(items.GetRange(0, mid));
        var right = MergeSort(items.GetRange(mid, items.Count - mid));
        var result = new List<string>(items.Count);
        int i = 0, j = 0;
        while (i < left.Count && j < right.Count)
        {
            if (YamlResolver.KeyLess(right[j], left[i]))
            {
                result.Add(right[j++]);
            }
            else
            {
                result.Add(left[i++]);
            }
        }
        result.AddRange(left.Skip(i));
        result.AddRange(right.Skip(j));
        return result;
    }

    private static bool IsSimpleKey(string key, ScalarAnalysis analysis) =>
        !analysis.Multiline && Encoding.UTF8.GetByteCount(key) <= 128;

    private void EmitScalar(string value, ScalarStyle requested)
    {
        var analysis = Analyze(value);
        var style = SelectStyle(requested, value, analysis);
        IncreaseIndent(flow: true, indentless: false);
        var runes = YamlResolver.ToRunes(value);
        switch (style)
        {
            case ScalarStyle.Plain:
                WritePlain(runes, allowBreaks: !_simpleKeyContext);
                break;
            case ScalarStyle.SingleQuoted:
                WriteSingleQuoted(runes, allowBreaks: !_simpleKeyContext);
                break;
            case ScalarStyle.DoubleQuoted:
                WriteDoubleQuoted(runes, allowBreaks: !_simpleKeyContext);
                break;
            case ScalarStyle.Literal:
                WriteLiteral(runes);
                break;
        }
        PopIndent();
    }

    private ScalarStyle SelectStyle(ScalarStyle style, string value, ScalarAnalysis analysis)
    {
        if (_simpleKeyContext && analysis.Multiline)
        {
            style = ScalarStyle.DoubleQuoted;
        }
        if (style == ScalarStyle.Plain)
        {
            if ((_flowLevel > 0 && !analysis.FlowPlainAllowed) || (_flowLevel == 0 && !analysis.BlockPlainAllowed))
            {
                style = ScalarStyle.SingleQuoted;
            }
            if (value.Length == 0 && (_flowLevel > 0 || _simpleKeyContext))
            {
                style = ScalarStyle.SingleQuoted;
            }
        }
        if (style == ScalarStyle.SingleQuoted && !analysis.SingleQuotedAllowed)
        {
            style = ScalarStyle.DoubleQuoted;
        }
        if (style == ScalarStyle.Literal && (!analysis.BlockAllowed || _flowLevel > 0 || _simpleKeyContext))
        {
            style = ScalarStyle.DoubleQuoted;
        }
        return style;
    }

    private readonly record struct ScalarAnalysis(
        bool Multiline, bool FlowPlainAllowed, bool BlockPlainAllowed, bool SingleQuotedAllowed, bool BlockAllowed);

    // yaml_emitter_analyze_scalar.
    private static ScalarAnalysis Analyze(string text)
    {
        var value = YamlResolver.ToRunes(text);
        if (value.Length == 0)
        {
            return new ScalarAnalysis(false, false, true, true, false);
        }
        bool blockIndicators = false, flowIndicators = false, lineBreaks = false, specialCharacters = false;
        bool leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
        bool breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
        if (value.Length >= 3 && ((value[0] == '-' && value[1] == '-' && value[2] == '-') || (value[0] == '.' && value[1] == '.' && value[2] == '.')))
        {
            blockIndicators = true;
            flowIndicators = true;
        }
        var precededByWhitespace = true;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var followedByWhitespace = i + 1 >= value.Length || IsBlank(value[i + 1]);
            if (i == 0)
            {
                switch (c)
                {
                    case '#' or ',' or '[' or ']' or '{' or '}' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`':
                        flowIndicators = true;
                        blockIndicators = true;
                        break;
                    case '?' or ':':
                        flowIndicators = true;
                        if (followedByWhitespace)
                        {
                            blockIndicators = true;
                        }
                        break;
                    case '-':
                        if (followedByWhitespace)
                        {
                            flowIndicators = true;
                            blockIndicators = true;
                        }
                        break;
                }
            }
            else
            {
                switch (c)
                {
                    case ',' or '?' or '[' or ']' or '{' or '}':
                        flowIndicators = true;
                        break;
                    case ':':
                        flowIndicators = true;
                        if (followedByWhitespace)
                        {
                            blockIndicators = true;
                        }
                        break;
                    case '#':
                        if (precededByWhitespace)
                        {
                            flowIndicators = true;
                            blockIndicators = true;
                        }
                        break;
                }
            }
            if (!IsPrintable(c))
            {
                specialCharacters = true;
            }
            if (c == ' ')
            {
                if (i == 0)
                {
                    leadingSpace = true;
                }
                if (i == value.Length - 1)
                {
                    trailingSpace = true;
                }
                if (previousBreak)
                {
                    breakSpace = true;
                }
                previousSpace = true;
                previousBreak = false;
            }
            else if (IsBreak(c))
            {
                lineBreaks = true;
                if (i == 0)
                {
                    leadingBreak = true;
                }
                if (i == value.Length - 1)
                {
                    trailingBreak = true;
                }
                if (previousSpace)
                {
                    spaceBreak = true;
                }
                previousSpace = false;
                previousBreak = true;
            }
            else
            {
                previousSpace = false;
                previousBreak = false;
            }
            precededByWhitespace = IsBlankz(c);
        }
        bool flowPlain = true, blockPlain = true, singleQuoted = true, block = true;
        if (leadingSpace || leadingBreak || trailingSpace || trailingBreak)
        {
            flowPlain = false;
            blockPlain = false;
        }
        if (trailingSpace)
        {
            block = false;
        }
        if (breakSpace)
        {
            flowPlain = false;
            blockPlain = false;
            singleQuoted = false;
        }
        if (spaceBreak || specialCharacters)
        {
            flowPlain = false;
            blockPlain = false;
            singleQuoted = false;
            block = false;
        }
        if (lineBreaks)
        {
            flowPlain = false;
            blockPlain = false;
        }
        if (flowIndicators)
        {
            flowPlain = false;
        }
        if (blockIndicators)
        {
            blockPlain = false;
        }
        return new ScalarAnalysis(lineBreaks, flowPlain, blockPlain, singleQuoted, block);
    }

    private static bool IsBlank(int c) => c is ' ' or '\t';

    private static bool IsBreak(int c) => c is '\r' or '\n' or 0x85 or 0x2028 or 0x2029;

    private static bool IsBlankz(int c) => IsBlank(c) || IsBreak(c) || c == 0;

    // libyaml's is_printable: no control characters, no C1, no surrogates, no U+FEFF/U+FFFE/U+FFFF, and
    // nothing beyond the BMP.
    private static bool IsPrintable(int c) =>
        c == 0x0A
        || (c >= 0x20 && c <= 0x7E)
        || (c >= 0xA0 && c <= 0xD7FF)
        || (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF);

    private void IncreaseIndent(bool flow, bool indentless)
    {
        _indents.Push(_indent);
        if (_indent < 0)
        {
            _indent = flow ? BestIndent : 0;
        }
        else if (!indentless)
        {
            _indent += BestIndent;
        }
    }

    private void PopIndent() => _indent = _indents.Pop();

    private void Put(char c)
    {
        _out.Append(c);
        _column++;
    }

    private void PutBreak()
    {
        _out.Append('\n');
        _column = 0;
    }

    private void Write(int rune)
    {
        _out.Append(char.ConvertFromUtf32(rune));
        _column++;
    }

    private void WriteBreak(int rune)
    {
        if (rune == '\n')
        {
            PutBreak();
        }
        else
        {
            Write(rune);
            _column = 0;
        }
    }

    private void WriteIndent()
    {
        var indent = Math.Max(_indent, 0);
        if (!_indention || _column > indent || (_column == indent && !_whitespace))
        {
            PutBreak();
        }
        while (_column < indent)
        {
            Put(' ');
        }
        _whitespace = true;
        _indention = true;
    }

    private void WriteIndicator(string indicator, bool needWhitespace, bool isWhitespace, bool isIndention)
    {
        if (needWhitespace && !_whitespace)
        {
            Put(' ');
        }
        foreach (var c in indicator)
        {
            Put(c);
        }
        _whitespace = isWhitespace;
        _indention = _indention && isIndention;
    }

    private void WritePlain(int[] value, bool allowBreaks)
    {
        if (!_whitespace)
        {
            Put(' ');
        }
        var spaces = false;
        var breaks = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == ' ')
            {
                if (allowBreaks && !spaces && _column > BestWidth && i + 1 < value.Length && value[i + 1] != ' ')
                {
                    WriteIndent();
                }
                else
                {
                    Write(c);
                }
                spaces = true;
            }
            else if (IsBreak(c))
            {
                if (!breaks && c == '\n')
                {
                    PutBreak();
                }
                WriteBreak(c);
                _indention = true;
                breaks = true;
            }
            else
            {
                if (breaks)
                {
                    WriteIndent();
                }
                Write(c);
                _indention = false;
                spaces = false;
                breaks = false;
            }
        }
        _whitespace = false;
        _indention = false;
    }

    private void WriteSingleQuoted(int[] value, bool allowBreaks)
    {
        WriteIndicator("'", needWhitespace: true, isWhitespace: false, isIndention: false);
        var spaces = false;
        var breaks = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == ' ')
            {
                if (allowBreaks && !spaces && _column > BestWidth && i > 0 && i < value.Length - 1 && value[i + 1] != ' ')
                {
                    WriteIndent();
                }
                else
                {
                    Write(c);
                }
                spaces = true;
            }
            else if (IsBreak(c))
            {
                if (!breaks && c == '\n')
                {
                    PutBreak();
                }
                WriteBreak(c);
                _indention = true;
                breaks = true;
            }
            else
            {
                if (breaks)
                {
                    WriteIndent();
                }
                if (c == '\'')
                {
                    Put('\'');
                }
                Write(c);
                _indention = false;
                spaces = false;
                breaks = false;
            }
        }
        WriteIndicator("'", needWhitespace: false, isWhitespace: false, isIndention: false);
        _whitespace = false;
        _indention = false;
    }

    private void WriteDoubleQuoted(int[] value, bool allowBreaks)
    {
        // libyaml tests the first three bytes of the whole value, not of the current character, for a BOM.
        var bom = value.Length > 0 && value[0] == 0xFEFF;
        var spaces = false;
        WriteIndicator("\"", needWhitespace: true, isWhitespace: false, isIndention: false);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (!IsPrintable(c) || bom || IsBreak(c) || c == '"' || c == '\\')
            {
                Put('\\');
                switch (c)
                {
                    case 0x00: Put('0'); break;
                    case 0x07: Put('a'); break;
                    case 0x08: Put('b'); break;
                    case 0x09: Put('t'); break;
                    case 0x0A: Put('n'); break;
                    case 0x0B: Put('v'); break;
                    case 0x0C: Put('f'); break;
                    case 0x0D: Put('r'); break;
                    case 0x1B: Put('e'); break;
                    case 0x22: Put('"'); break;
                    case 0x5C: Put('\\'); break;
                    case 0x85: Put('N'); break;
                    case 0xA0: Put('_'); break;
                    case 0x2028: Put('L'); break;
                    case 0x2029: Put('P'); break;
                    default:
                        int width;
                        if (c <= 0xFF)
                        {
                            Put('x');
                            width = 2;
                        }
                        else if (c <= 0xFFFF)
                        {
                            Put('u');
                            width = 4;
                        }
                        else
                        {
                            Put('U');
                            width = 8;
                        }
                        for (var k = (width - 1) * 4; k >= 0; k -= 4)
                        {
                            Put("0123456789ABCDEF"[(c >> k) & 0x0F]);
                        }
                        break;
                }
                spaces = false;
            }
            else if (c == ' ')
            {
                if (allowBreaks && !spaces && _column > BestWidth && i > 0 && i < value.Length - 1)
                {
                    WriteIndent();
                    if (value[i + 1] == ' ')
                    {
                        Put('\\');
                    }
                }
                else
                {
                    Write(c);
                }
                spaces = true;
            }
            else
            {
                Write(c);
                spaces = false;
            }
        }
        WriteIndicator("\"", needWhitespace: false, isWhitespace: false, isIndention: false);
        _whitespace = false;
        _indention = false;
    }

    private void WriteLiteral(int[] value)
    {
        WriteIndicator("|", needWhitespace: true, isWhitespace: false, isIndention: false);
        WriteBlockScalarHints(value);
        PutBreak();
        _indention = true;
        _whitespace = true;
        var breaks = true;
        foreach (var c in value)
        {
            if (IsBreak(c))
            {
                WriteBreak(c);
                _indention = true;
                breaks = true;
            }
            else
            {
                if (breaks)
                {
                    WriteIndent();
                }
                Write(c);
                _indention = false;
                breaks = false;
            }
        }
    }

    private void WriteBlockScalarHints(int[] value)
    {
        if (value.Length > 0 && (value[0] == ' ' || IsBreak(value[0])))
        {
            WriteIndicator(((char)('0' + BestIndent)).ToString(), needWhitespace: false, isWhitespace: false, isIndention: false);
        }
        string? chomp = null;
        if (value.Length == 0 || !IsBreak(value[^1]))
        {
            chomp = "-";
        }
        else if (value.Length == 1 || IsBreak(value[^2]))
        {
            chomp = "+";
        }
        if (chomp is not null)
        {
            WriteIndicator(chomp, needWhitespace: false, isWhitespace: false, isIndention: false);
        }
    }
}
