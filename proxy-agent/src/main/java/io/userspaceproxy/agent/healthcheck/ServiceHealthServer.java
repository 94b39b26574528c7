package io.userspaceproxy.agent.healthcheck;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.userspaceproxy.agent.state.ObjectRef;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-proxy's service health servers: for every Service that asks for one (LoadBalancer, external traffic
 * policy Local), an HTTP listener on its {@code healthCheckNodePort}, which cloud load balancers probe to learn
 * whether this node has a ready endpoint of the Service (200) or should get no traffic for it (503). See
 * {@link ServiceHealthHandler} for the answer.
 *
 * <p>Where it listens: on every bind address given (the node's NodePort addresses), or on the wildcard address,
 * both families, when none is given (kube-proxy's default, {@code 0.0.0.0:port}).
 *
 * <p>Why Netty rather than the JDK's HTTP server: one event loop thread serves every port, where the JDK server
 * takes a dispatcher thread per port. It is a loop of its own, never one of the data plane's.
 *
 * <p>Lifecycle, as kube-proxy's {@code SyncServices}/{@code SyncEndpoints}: {@link #syncServices} opens the ports
 * of new Services, closes those of Services gone (or whose port changed) and leaves the others alone;
 * {@link #syncEndpoints} updates the counts answered. A port that cannot be bound (in use, say) is logged once,
 * counted, and tried again at the next {@code syncServices}; it never affects other Services or the proxy.
 *
 * <p>Threading: the two sync methods are for one control thread (the sync loop); requests are answered on the
 * health-check loop, reading counts published with volatile writes.
 */
public final class ServiceHealthServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServiceHealthServer.class);
    private static final long TIMEOUT_MILLIS = 5_000;
    private static final int MAX_REQUEST_BYTES = 8 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final List<InetAddress> bindAddresses;
    private final BooleanSupplier proxyHealthy;
    private final Runnable onBindFailure;
    private final EventLoopGroup group;
    private final LongAdder bindFailures = new LongAdder();
    private final Map<ObjectRef, Instance> instances = new ConcurrentHashMap<>();
    /** The last bind failure logged per Service, so a port that stays taken warns once. Sync thread only. */
    private final Map<ObjectRef, String> reportedFailures = new HashMap<>();

    /** One Service's listeners and the count they answer with. */
    private static final class Instance {
        final int port;
        final ChannelGroup channels;
        volatile int localEndpoints;

        Instance(int port, ChannelGroup channels) {
            this.port = port;
            this.channels = channels;
        }
    }

    private ServiceHealthServer(List<InetAddress> bindAddresses, BooleanSupplier proxyHealthy, Runnable onBindFailure) {
        this.bindAddresses = List.copyOf(bindAddresses);
        this.proxyHealthy = Objects.requireNonNull(proxyHealthy, "proxyHealthy");
        this.onBindFailure = Objects.requireNonNull(onBindFailure, "onBindFailure");
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("service-healthcheck", true),
                NioIoHandler.newFactory());
    }

    /**
     * Starts the health-check event loop; binds nothing until {@link #syncServices}.
     *
     * @param bindAddresses where each Service's port is opened; empty for the wildcard address
     * @param proxyHealthy  the proxy's own health ({@code /healthz}); false turns every answer into 503
     * @param onBindFailure called (on the sync thread) for each port that could not be bound, for a metric
     */
    public static ServiceHealthServer start(List<InetAddress> bindAddresses, BooleanSupplier proxyHealthy,
            Runnable onBindFailure) {
        return new ServiceHealthServer(bindAddresses, proxyHealthy, onBindFailure);
    }

    /**
     * Makes {@code ports} (Service → healthCheckNodePort) the set of open health checks. A Service that stays with
     * the same port keeps its listeners and its count.
     */
    public void syncServices(Map<ObjectRef, Integer> ports) {
        for (Map.Entry<ObjectRef, Instance> e : instances.entrySet()) {
            Integer wanted = ports.get(e.getKey());
            if (wanted == null || wanted != e.getValue().port) {
                log.info("closing health check of {} on port {}", e.getKey(), e.getValue().port);
                instances.remove(e.getKey());
                e.getValue().channels.close().awaitUninterruptibly(TIMEOUT_MILLIS);
            }
        }
        reportedFailures.keySet().retainAll(ports.keySet());
        for (Map.Entry<ObjectRef, Integer> e : ports.entrySet()) {
            if (!instances.containsKey(e.getKey())) {
                open(e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Sets how many ready endpoints each Service has on this node; a Service missing from {@code counts} has
     * none. Counts of Services without a health check are ignored.
     */
    public void syncEndpoints(Map<ObjectRef, Integer> counts) {
        instances.forEach((ref, instance) -> instance.localEndpoints = counts.getOrDefault(ref, 0));
    }

    /** The open health checks: Service → port. */
    public Map<ObjectRef, Integer> ports() {
        Map<ObjectRef, Integer> out = new HashMap<>();
        instances.forEach((ref, instance) -> out.put(ref, instance.port));
        return out;
    }

    /** Ports that could not be bound, counted at each attempt. */
    public long bindFailures() {
        return bindFailures.sum();
    }

    /** Closes every listener and connection and stops the loop. */
    @Override
    public void close() {
        instances.values().forEach(i -> i.channels.close().awaitUninterruptibly(TIMEOUT_MILLIS));
        instances.clear();
        group.shutdownGracefully(0, TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).awaitUninterruptibly(2 * TIMEOUT_MILLIS);
    }

    private void open(ObjectRef service, int port) {
        Instance instance = new Instance(port, new DefaultChannelGroup(service + ":" + port, group.next()));
        ServiceHealthHandler handler = new ServiceHealthHandler(service, () -> instance.localEndpoints, proxyHealthy);
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, Boolean.TRUE)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        instance.channels.add(ch);
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES), handler);
                    }
                });
        for (InetSocketAddress address : addressesFor(port)) {
            ChannelFuture bound = bootstrap.bind(address);
            if (!bound.awaitUninterruptibly(TIMEOUT_MILLIS) || !bound.isSuccess()) {
                bound.channel().close();
                instance.channels.close().awaitUninterruptibly(TIMEOUT_MILLIS);
                reportBindFailure(service, address, bound.cause() != null ? bound.cause().toString()
                        : "no answer in " + TIMEOUT_MILLIS + " ms");
                return;
            }
            instance.channels.add(bound.channel());
        }
        instances.put(service, instance);
        reportedFailures.remove(service);
        log.info("health check of {} listening on port {}", service, port);
    }

    private List<InetSocketAddress> addressesFor(int port) {
        if (bindAddresses.isEmpty()) {
            return List.of(new InetSocketAddress(port));
        }
        return bindAddresses.stream().map(a -> new InetSocketAddress(a, port)).toList();
    }

    private void reportBindFailure(ObjectRef service, InetSocketAddress address, String cause) {
        bindFailures.increment();
        onBindFailure.run();
        String reason = address + ": " + cause;
        if (!reason.equals(reportedFailures.put(service, reason))) {
            log.warn("health check of {} cannot listen on {} ({}); load balancers will see this node as down for"
                    + " it; retrying at every sync", service, address, cause);
        }
    }

    /** For tests: the channel listening for {@code service}, to tell a kept listener from a reopened one. */
    @Nullable Channel anyListener(ObjectRef service) {
        Instance i = instances.get(service);
        return i == null ? null : i.channels.stream().filter(c -> c.parent() == null).findFirst().orElse(null);
    }
}
