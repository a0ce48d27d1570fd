using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace CryptoPipeline.EmbeddedKafka.Native;

/// <summary>
/// Binds this assembly's P/Invokes to the very librdkafka image Confluent.Kafka has loaded, so
/// the mock cluster and the clients share one native library (one OpenSSL init, one copy in
/// memory, and the version check below applies to both).
/// </summary>
internal static class Librdkafka
{
    public const string LibraryName = "librdkafka";

    // The mock cluster's API is experimental and changed often before 2.x; 2.15 is the
    // version this binding was written against (CreateTopic, error injection, group delays).
    public const int MinimumVersion = 0x020F0000;

    // Confluent.Kafka tries these names in this order on Linux (NativeMethods,
    // NativeMethods_Alpine, NativeMethods_Centos8); probing the same names through the same
    // assembly yields the same file, and dlopen of a loaded file returns the loaded image.
    private static readonly string[] ConfluentLibraryNames = [LibraryName, "alpine-librdkafka", "centos8-librdkafka"];

    private static readonly Lazy<IntPtr> Handle = new(LoadConfluentLibrary);

    /// <summary>Installs the resolver; runs once, before the first P/Invoke of this assembly.</summary>
    public static void EnsureResolver() => _ = ResolverInstalled.Value;

    private static readonly Lazy<bool> ResolverInstalled = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(Librdkafka).Assembly, Resolve);
        return true;
    });

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == LibraryName ? Handle.Value : IntPtr.Zero;

    private static IntPtr LoadConfluentLibrary()
    {
        try
        {
            Library.Load();
        }
        catch (Exception ex) when (ex is DllNotFoundException or FileLoadException or InvalidOperationException)
        {
            throw new InvalidOperationException(
                "Confluent.Kafka could not load the native librdkafka, so the embedded Kafka cluster cannot start. " +
                "Reference services/CryptoPipeline.Kafka (its librdkafka.redist puts librdkafka next to the application) " +
                "and rebuild.", ex);
        }

        if (Library.Version < MinimumVersion)
        {
            throw new InvalidOperationException(
                $"Confluent.Kafka loaded librdkafka {Library.VersionString} (0x{Library.Version:x8}); the embedded Kafka " +
                $"cluster needs librdkafka 2.15 or later (0x{MinimumVersion:x8}). A system librdkafka (such as Debian's " +
                "2.0.2) is probably shadowing the one restored by librdkafka.redist.");
        }

        var confluentAssembly = typeof(Library).Assembly;
        foreach (var name in ConfluentLibraryNames)
        {
            if (NativeLibrary.TryLoad(name, confluentAssembly, null, out var handle)
                && NativeLibrary.TryGetExport(handle, "rd_kafka_version", out var versionExport)
                && VersionOf(versionExport) == Library.Version)
            {
                return handle;
            }
        }

        throw new InvalidOperationException(
            $"Confluent.Kafka uses librdkafka {Library.VersionString}, but none of " +
            $"{string.Join(", ", ConfluentLibraryNames)} resolves to that library for the embedded Kafka cluster.");
    }

    private static unsafe int VersionOf(IntPtr versionExport) =>
        ((delegate* unmanaged[Cdecl]<int>)versionExport)();
}
