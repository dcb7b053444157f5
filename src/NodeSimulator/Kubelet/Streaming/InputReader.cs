using System.Text;
using System.Threading.Channels;

namespace NodeSimulator.Kubelet.Streaming;

/// <summary>
/// A simulated process's stdin: the bytes the client sends on the stdin channel, as text. Without a TTY
/// they are handed over as they arrive. With one, a terminal's line discipline (what the container's pty
/// would do) runs first: typed characters are echoed, Enter ends a line (CR becomes LF), backspace
/// erases, Ctrl-C interrupts and Ctrl-D on an empty line is end of input.
/// </summary>
public sealed class InputReader
{
    /// <summary>Returned instead of text when a terminal's user pressed Ctrl-C.</summary>
    public const string Interrupt = "\u0003";

    private readonly Channel<byte[]> _bytes = System.Threading.Channels.Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly Func<string, Task>? _echo;
    private readonly StringBuilder _line = new();
    private readonly Queue<string> _ready = new();
    private string _pending = "";
    private bool _ended;

    /// <param name="echo">With a TTY: where the terminal echoes (the client's stdout); null without one.</param>
    public InputReader(Func<string, Task>? echo = null) => _echo = echo;

    public bool IsTerminal => _echo is not null;

    public static InputReader FromText(string text)
    {
        var reader = new InputReader();
        reader.Write(Encoding.UTF8.GetBytes(text));
        reader.Complete();
        return reader;
    }

    /// <summary>Bytes from the client's stdin channel.</summary>
    public void Write(ReadOnlySpan<byte> data) => _bytes.Writer.TryWrite(data.ToArray());

    /// <summary>The client closed stdin (v5's close signal) or went away.</summary>
    public void Complete() => _bytes.Writer.TryComplete();

    /// <summary>The next piece of input (a line on a terminal), <see cref="Interrupt"/>, or null at the end.</summary>
    public async Task<string?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length > 0)
        {
            var pending = _pending;
            _pending = "";
            return pending;
        }

        return await NextAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next line without its newline, <see cref="Interrupt"/>, or null at the end (a last unterminated line is returned first).</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = _pending.IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                var line = _pending[..newline];
                _pending = _pending[(newline + 1)..];
                return line;
            }

            var next = await NextAsync(cancellationToken).ConfigureAwait(false);
            if (next == Interrupt)
            {
                _pending = "";
                return Interrupt;
            }

            if (next is null)
            {
                if (_pending.Length == 0)
                {
                    return null;
                }

                var last = _pending;
                _pending = "";
                return last;
            }

            _pending += next;
        }
    }

    private async Task<string?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ready.Count > 0)
            {
                return _ready.Dequeue();
            }

            if (_ended)
            {
                return null;
            }

            if (!await _bytes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _ended = true;
                if (IsTerminal && _line.Length > 0)
                {
                    _ready.Enqueue(_line.ToString());
                    _line.Clear();
                }

                continue;
            }

            while (_bytes.Reader.TryRead(out var data))
            {
                var chars = new char[_decoder.GetCharCount(data, flush: false)];
                _decoder.GetChars(data, chars, flush: false);
                if (!IsTerminal)
                {
                    _ready.Enqueue(new string(chars));
                }
                else
                {
                    await DisciplineAsync(chars).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task DisciplineAsync(char[] chars)
    {
        var echo = new StringBuilder();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            switch (c)
            {
                case '\r' or '\n':
                    if (c == '\r' && i + 1 < chars.Length && chars[i + 1] == '\n')
                    {
                        i++;
                    }

                    echo.Append("\r\n");
                    _ready.Enqueue(_line.Append('\n').ToString());
                    _line.Clear();
                    break;
                case '\u007f' or '\b':
                    if (_line.Length > 0)
                    {
                        _line.Length--;
                        echo.Append("\b \b");
                    }

                    break;
                case '\u0003':
                    echo.Append("^C\r\n");
                    _line.Clear();
                    _ready.Enqueue(Interrupt);
                    break;
                case '\u0004':
                    if (_line.Length == 0)
                    {
                        _ended = true;
                        _bytes.Writer.TryComplete();
                    }
                    else
                    {
                        _ready.Enqueue(_line.ToString());
                        _line.Clear();
                    }

                    break;
                case '\u001b':
                    // An escape sequence (arrow keys...): no line editing here, skip it.
                    if (i + 1 < chars.Length && chars[i + 1] == '[')
                    {
                        i++;
                        while (i + 1 < chars.Length && !char.IsAsciiLetter(chars[i + 1]) && chars[i + 1] != '~')
                        {
                            i++;
                        }

                        i++;
                    }

                    break;
                default:
                    if (!char.IsControl(c) || c == '\t')
                    {
                        _line.Append(c);
                        echo.Append(c);
                    }

                    break;
            }
        }

        if (echo.Length > 0)
        {
            await _echo!(echo.ToString()).ConfigureAwait(false);
        }
    }
}
