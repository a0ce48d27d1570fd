using System.Text;

namespace CryptoPipeline.Hosting.FunctionalTests;

/// <summary>The service a batch of telemetry came from: <c>service.name</c> and <c>service.instance.id</c>.</summary>
internal sealed record OtlpResource(string? ServiceName, string? InstanceId);

internal sealed record OtlpSpan(OtlpResource Resource, string Name, string TraceId, string SpanId);

/// <summary>
/// Reads what the tests need from OTLP export requests (opentelemetry-proto, <c>collector/*/v1</c>) without a protobuf
/// library. The three requests share their outer shape: field 1 repeats <c>Resource{Spans,Metrics,Logs}</c>, whose
/// field 1 is the <c>Resource</c> (attributes in field 1 as <c>KeyValue</c>) and whose field 2 repeats the scopes. In
/// traces a <c>ScopeSpans</c> repeats <c>Span</c> in field 2: trace id 1, span id 2, name 5.
/// </summary>
internal static class OtlpProtobuf
{
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLength = 2;
    private const int WireFixed32 = 5;

    public static IEnumerable<OtlpResource> ReadResources(byte[] request)
    {
        foreach (var resourceGroup in Fields(request, 1))
        {
            yield return ReadResource(resourceGroup);
        }
    }

    public static IEnumerable<OtlpSpan> ReadSpans(byte[] exportTraceServiceRequest)
    {
        foreach (var resourceSpans in Fields(exportTraceServiceRequest, 1))
        {
            var resource = ReadResource(resourceSpans);
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    yield return new OtlpSpan(
                        resource,
                        Encoding.UTF8.GetString(Fields(span, 5).SingleOrDefault() ?? []),
                        Convert.ToHexStringLower(Fields(span, 1).Single()),
                        Convert.ToHexStringLower(Fields(span, 2).Single()));
                }
            }
        }
    }

    private static OtlpResource ReadResource(byte[] resourceGroup)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in Fields(resourceGroup, 1))
        {
            foreach (var keyValue in Fields(resource, 1))
            {
                var key = Encoding.UTF8.GetString(Fields(keyValue, 1).Single());

                // AnyValue: string_value is field 1; other kinds are not needed here.
                if (Fields(keyValue, 2).SingleOrDefault() is { } value && Fields(value, 1).SingleOrDefault() is { } text)
                {
                    attributes[key] = Encoding.UTF8.GetString(text);
                }
            }
        }

        return new OtlpResource(attributes.GetValueOrDefault("service.name"), attributes.GetValueOrDefault("service.instance.id"));
    }

    /// <summary>The payloads of every length-delimited occurrence of <paramref name="field"/> in <paramref name="message"/>.</summary>
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case WireVarint:
                    ReadVarint(message, ref position);
                    break;
                case WireFixed64:
                    position += 8;
                    break;
                case WireFixed32:
                    position += 4;
                    break;
                case WireLength:
                    var length = checked((int)ReadVarint(message, ref position));
                    if (number == field)
                    {
                        found.Add(message.AsSpan(position, length).ToArray());
                    }

                    position += length;
                    break;
                default:
                    throw new FormatException($"Unsupported protobuf wire type {tag & 7} at byte {position}.");
            }
        }

        return found;
    }

    private static ulong ReadVarint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("A protobuf varint is longer than 10 bytes.");
    }
}
