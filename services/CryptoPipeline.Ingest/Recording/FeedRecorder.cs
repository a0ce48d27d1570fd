using System.Globalization;
using System.IO.Compression;
using System.Threading.Channels;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Ingest.Replay;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Recording;

/// <summary>
/// Writes the raw frames of the live feeds to gzip files in the recorded-feed format, one file per exchange and
/// UTC day of receipt (<c>binance_20240808.gz</c>, <c>binance-usdm_20240808.gz</c>), so users can capture their
/// own data and replay it. Frames are queued and written by one background writer; a restart on the same day
/// appends a new gzip member to the day's file, which readers take as one stream.
/// </summary>
/// <remarks>
/// A plain <see cref="IHostedService"/> rather than a <see cref="BackgroundService"/>: since .NET 10 the latter
/// starts <c>ExecuteAsync</c> with <c>Task.Run</c> on the stopping token, so a host stopped before the thread pool
/// got to it would never run the writer and would lose every queued frame. Here the writer always starts, and a
/// stop drains the queue and closes the files before it returns.
/// </remarks>
internal sealed partial class FeedRecorder : IHostedService, IRawFrameObserver
{
    private readonly IOptions<RecordingOptions> _options;
    private readonly ILogger<FeedRecorder> _logger;
    private readonly Dictionary<string, OpenFile> _files = new(StringComparer.Ordinal);
    private string _directory = "";
    private Channel<Frame>? _frames;
    private Task _writer = Task.CompletedTask;
    private long _dropped;

    public FeedRecorder(IOptions<RecordingOptions> options, ILogger<FeedRecorder> logger)
    {
        // The options are read at start, once the host has validated them.
        _options = options;
        _logger = logger;
    }

    public void OnFrame(string exchange, ReadOnlySpan<byte> frame, DateTimeOffset receivedAt)
    {
        // The feeds start after the recorder (they are registered after it), so the queue exists by then.
        if (_frames is null || !_frames.Writer.TryWrite(new Frame(exchange, frame.ToArray(), receivedAt)) && Interlocked.Increment(ref _dropped) == 1)
        {
            LogFirstDrop(_directory);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _directory = _options.Value.Directory!;
        Directory.CreateDirectory(_directory);
        LogRecording(_directory);
        var frames = Channel.CreateBounded<Frame>(new BoundedChannelOptions(_options.Value.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _frames = frames;
        _writer = Task.Run(() => WriteAsync(frames), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking frames and waits until the queued ones are on disk and the files are closed.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _frames?.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken);
    }

    private async Task WriteAsync(Channel<Frame> frames)
    {
        var line = new byte[64 * 1024];
        try
        {
            await foreach (var frame in frames.Reader.ReadAllAsync(CancellationToken.None))
            {
                var size = frame.Bytes.Length + 24;
                if (line.Length < size)
                {
                    line = new byte[size * 2];
                }

                var length = RecordedLine.Write(line, frame.ReceivedAt, frame.Bytes);
                var file = await FileForAsync(frame);
                await file.Content.WriteAsync(line.AsMemory(0, length), CancellationToken.None);
            }
        }
        catch (Exception exception)
        {
            // Later frames count as dropped instead of filling the queue; the stop reports the failure again.
            frames.Writer.TryComplete(exception);
            LogWriteFailed(exception, _directory);
            throw;
        }
        finally
        {
            foreach (var file in _files.Values)
            {
                await file.DisposeAsync();
            }

            _files.Clear();
        }
    }

    private async ValueTask<OpenFile> FileForAsync(Frame frame)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{frame.Exchange}_{frame.ReceivedAt.UtcDateTime:yyyyMMdd}.gz");
        if (_files.TryGetValue(frame.Exchange, out var open))
        {
            if (open.Name == name)
            {
                return open;
            }

            // A new UTC day: close yesterday's file before today's opens.
            await open.DisposeAsync();
        }

        var stream = new FileStream(Path.Combine(_directory, name), FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        var file = new OpenFile(name, stream, new GZipStream(stream, CompressionLevel.Fastest));
        _files[frame.Exchange] = file;
        LogFile(name);
        return file;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording the live Binance feeds to {Directory}.")]
    private partial void LogRecording(string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording to {File}.")]
    private partial void LogFile(string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "The recording in {Directory} stopped: writing failed. The live feed is not affected.")]
    private partial void LogWriteFailed(Exception exception, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recording in {Directory} is losing frames: the disk does not keep up (Ingest:Recording:QueueCapacity). The live feed is not affected.")]
    private partial void LogFirstDrop(string directory);

    private sealed record Frame(string Exchange, byte[] Bytes, DateTimeOffset ReceivedAt);

    private sealed record OpenFile(string Name, FileStream File, GZipStream Content) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Content.DisposeAsync();
            await File.DisposeAsync();
        }
    }
}
