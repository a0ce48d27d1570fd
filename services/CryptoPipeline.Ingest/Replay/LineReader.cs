namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// Reads UTF-8 lines from a stream into one reused buffer, without decoding them to strings. A line longer
/// than the limit is skipped to its end and reported as oversized with its first bytes as a sample, so one
/// runaway line neither exhausts memory nor stops the replay.
/// </summary>
internal sealed class LineReader
{
    private const int InitialBuffer = 64 * 1024;
    private const int SampleBytes = 300;

    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;

    public LineReader(Stream stream, int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[Math.Min(InitialBuffer, maxLineBytes + 1)];
    }

    /// <summary>
    /// The next line without its <c>\n</c> or <c>\r\n</c>, valid until the next call; false at the end.
    /// When <paramref name="oversized"/> is true the line was skipped and <paramref name="line"/> holds its start.
    /// </summary>
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out bool oversized)
    {
        oversized = false;
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Trim(_buffer.AsMemory(_start, newline));
                _start += newline + 1;
                return true;
            }

            if (_endOfStream)
            {
                line = Trim(_buffer.AsMemory(_start, _end - _start));
                var any = _end > _start;
                _start = _end;
                return any;
            }

            if (_end - _start > _maxLineBytes)
            {
                line = SkipRestOfLine();
                oversized = true;
                return true;
            }

            Fill();
        }
    }

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min((long)_buffer.Length * 2, _maxLineBytes + 1L));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfStream = true;
        }

        _end += read;
    }

    private ReadOnlyMemory<byte> SkipRestOfLine()
    {
        var sample = _buffer.AsSpan(_start, Math.Min(SampleBytes, _end - _start)).ToArray();
        _start = _end = 0;
        while (true)
        {
            var read = _stream.Read(_buffer, 0, _buffer.Length);
            if (read == 0)
            {
                _endOfStream = true;
                return sample;
            }

            var newline = _buffer.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _start = newline + 1;
                _end = read;
                return sample;
            }
        }
    }
}
