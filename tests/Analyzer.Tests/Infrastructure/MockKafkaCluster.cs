using System.Runtime.InteropServices;
using System.Text;
using Analyzer.Events;

namespace Analyzer.Tests.Infrastructure;

/// <summary>
/// A Kafka cluster of 3 brokers that speaks the real wire protocol on loopback ports: librdkafka's mock cluster
/// (<c>rd_kafka_mock_cluster_new</c>), reached by P/Invoke into the librdkafka the service itself loads
/// (<see cref="KafkaNative"/>). No broker package is needed. <see cref="SetBrokerDown"/> injects broker failures.
/// One per test (or test class): each has its own ports, topics and transactions.
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    public const int Brokers = 3;

    private const int ProducerType = 0;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ConfNew();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int ConfSet(IntPtr conf, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, StringBuilder error, nuint errorSize);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr KafkaNew(int type, IntPtr conf, StringBuilder error, nuint errorSize);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void KafkaDestroy(IntPtr rk);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ClusterNew(IntPtr rk, int brokers);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ClusterDestroy(IntPtr cluster);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ClusterBootstraps(IntPtr cluster);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int BrokerSet(IntPtr cluster, int brokerId);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int TopicCreate(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitions, int replicationFactor);

    private readonly IntPtr handle;
    private readonly IntPtr rk;
    private readonly IntPtr cluster;
    private bool disposed;

    public MockKafkaCluster()
    {
        var library = KafkaNative.Load();
        var conf = Function<ConfNew>(library, "rd_kafka_conf_new")();
        var error = new StringBuilder(512);
        // The mock cluster's own client only hosts it; it never connects anywhere.
        Function<ConfSet>(library, "rd_kafka_conf_set")(conf, "log_level", "3", error, (nuint)error.Capacity);
        rk = Function<KafkaNew>(library, "rd_kafka_new")(ProducerType, conf, error, (nuint)error.Capacity);
        if (rk == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new: " + error);
        }
        cluster = Function<ClusterNew>(library, "rd_kafka_mock_cluster_new")(rk, Brokers);
        if (cluster == IntPtr.Zero)
        {
            Function<KafkaDestroy>(library, "rd_kafka_destroy")(rk);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }
        handle = library;
        BootstrapServers = Marshal.PtrToStringUTF8(Function<ClusterBootstraps>(library, "rd_kafka_mock_cluster_bootstraps")(cluster))!;
    }

    /// <summary>host:port,... of the brokers, for bootstrap.servers.</summary>
    public string BootstrapServers { get; }

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions, each on all brokers.</summary>
    public void CreateTopic(string topic, int partitions = 3) =>
        Check(Function<TopicCreate>(handle, "rd_kafka_mock_topic_create")(cluster, topic, partitions, Brokers), "rd_kafka_mock_topic_create");

    /// <summary>Takes broker <paramref name="brokerId"/> (1–3) down: its connections close and new ones are refused.</summary>
    public void SetBrokerDown(int brokerId) => Check(Function<BrokerSet>(handle, "rd_kafka_mock_broker_set_down")(cluster, brokerId), "rd_kafka_mock_broker_set_down");

    public void SetBrokerUp(int brokerId) => Check(Function<BrokerSet>(handle, "rd_kafka_mock_broker_set_up")(cluster, brokerId), "rd_kafka_mock_broker_set_up");

    private static void Check(int error, string function)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"{function}: error {error}");
        }
    }

    private static T Function<T>(IntPtr library, string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }
        disposed = true;
        Function<ClusterDestroy>(handle, "rd_kafka_mock_cluster_destroy")(cluster);
        Function<KafkaDestroy>(handle, "rd_kafka_destroy")(rk);
    }
}
