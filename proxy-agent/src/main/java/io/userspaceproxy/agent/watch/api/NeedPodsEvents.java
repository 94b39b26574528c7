package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.core.model.ServicePortName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signal to scale a Service up from zero. When a connection to a Service annotated
 * {@code userspace-proxy.io/hold-when-empty} is held for want of an endpoint, the Service gets an
 * {@code events.k8s.io/v1} Event with reason {@value #REASON}, as OpenShift's unidler did: on the first held
 * connection, then every {@link #MIN_INTERVAL} while any is held (and never more often, however many arrive), so a
 * scaler that missed one still sees the demand. The later ones continue the first Event's series (a merge patch of
 * {@code series.count}) for {@link #SERIES_WINDOW}, as Kubernetes' own event recorder does, so a Service held all
 * day makes a few Events, not thousands. With {@code --manifests} there is no API server: the signal is logged at
 * INFO instead.
 *
 * <p>Threading: {@link #accept} runs on event loops and never blocks (one map update; the API call runs on this
 * object's own thread). An API server that refuses or is away costs a WARN line (once per distinct failure) and a
 * count through {@code onFailure}, and the next signal tries again.
 */
public final class NeedPodsEvents implements Consumer<ServicePortName>, AutoCloseable {

    public static final String REASON = "NeedPods";
    static final String ACTION = "HoldConnections";
    static final String CONTROLLER = "userspace-proxy.io/agent";
    static final Duration MIN_INTERVAL = Duration.ofSeconds(10);
    static final Duration SERIES_WINDOW = Duration.ofMinutes(30);
    private static final DateTimeFormatter MICRO_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX").withZone(ZoneOffset.UTC);

    private static final Logger log = LoggerFactory.getLogger(NeedPodsEvents.class);

    /** Where a due signal goes; called on this object's thread only. */
    interface Sink {
        void signal(ObjectRef service, Instant now);
    }

    private final Map<ObjectRef, Instant> lastSignal = new ConcurrentHashMap<>();
    private final Sink sink;
    private final Clock clock;
    private final Duration interval;
    private final ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "need-pods-events");
        t.setDaemon(true);
        return t;
    });
    private volatile Predicate<ObjectRef> stillHeld = service -> false;

    NeedPodsEvents(Sink sink, Clock clock, Duration interval) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.interval = Objects.requireNonNull(interval, "interval");
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a pending repeat does not hold up close
    }

    /** How to tell whether a Service still has a connection or UDP client held, for the signal to repeat. */
    public NeedPodsEvents whileHeld(Predicate<ObjectRef> held) {
        this.stillHeld = Objects.requireNonNull(held, "held");
        return this;
    }

    /**
     * Events through {@code client}, reported by this node's agent.
     *
     * @param onFailure called once per event the API server did not take, for a metric; must not block
     */
    public static NeedPodsEvents toApi(KubernetesClient client, String nodeName, Runnable onFailure, Clock clock) {
        return new NeedPodsEvents(new ApiSink(client, nodeName, onFailure), clock, MIN_INTERVAL);
    }

    /** INFO log lines, for the local dev proxy (no API server). */
    public static NeedPodsEvents toLog(Clock clock) {
        Sink toLog = (service, now) -> log.info("Service {} needs pods ({}): a connection is held for want of an"
                + " endpoint; add one within its hold-when-empty time", service, REASON);
        return new NeedPodsEvents(toLog, clock, MIN_INTERVAL);
    }

    /** A connection to {@code servicePort} was held; signals its Service unless it was signalled less than 10 s ago. */
    @Override
    public void accept(ServicePortName servicePort) {
        signal(ObjectRef.of(servicePort.namespace(), servicePort.name()));
    }

    private void signal(ObjectRef service) {
        Instant now = clock.instant();
        boolean[] due = new boolean[1];
        lastSignal.compute(service, (ref, last) -> {
            due[0] = last == null || !now.isBefore(last.plus(interval));
            return due[0] ? now : last;
        });
        if (!due[0]) {
            return;
        }
        try {
            thread.execute(() -> {
                lastSignal.values().removeIf(t -> t.isBefore(now.minus(interval))); // bounded by busy Services
                sink.signal(service, now);
                // The one repeat of this signal, if still held then; a signal in between takes the repeat over.
                if (!thread.isShutdown()) {
                    thread.schedule(() -> repeatWhileHeld(service), interval.toNanos(), TimeUnit.NANOSECONDS);
                }
            });
        } catch (RejectedExecutionException closed) {
            log.debug("not signalling Service {}: the agent is stopping", service);
        }
    }

    private void repeatWhileHeld(ObjectRef service) {
        if (stillHeld.test(service)) {
            signal(service);
        }
    }

    /** Waits a little for the signals already due, then stops. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.shutdownNow();
    }

    /** Creates an Event, or continues the series of the one created last for the Service. On the sink's thread. */
    static final class ApiSink implements Sink {

        private record Series(String eventName, Instant first, int count) {
        }

        private final KubernetesClient client;
        private final String instance;
        private final Runnable onFailure;
        private final Map<ObjectRef, Series> series = new HashMap<>();
        private @Nullable String lastFailure;

        ApiSink(KubernetesClient client, String nodeName, Runnable onFailure) {
            this.client = client;
            String name = "userspace-proxy-" + nodeName;
            this.instance = name.length() > 128 ? name.substring(0, 128) : name; // the API's bound
            this.onFailure = onFailure;
        }

        @Override
        public void signal(ObjectRef service, Instant now) {
            series.values().removeIf(s -> !now.isBefore(s.first.plus(SERIES_WINDOW)));
            Series open = series.get(service);
            try {
                if (open != null && patched(service, open, now)) {
                    return;
                }
                Event created = client.events().v1().events().inNamespace(service.namespace())
                        .resource(event(service, now)).create();
                series.put(service, new Series(created.getMetadata().getName(), now, 1));
                log.info("Service {} needs pods: held a connection for want of an endpoint; event {} ({})", service,
                        created.getMetadata().getName(), REASON);
                lastFailure = null;
            } catch (KubernetesClientException e) {
                onFailure.run();
                String failure = e.getCode() + " " + e.getMessage();
                if (!failure.equals(lastFailure)) {
                    log.warn("cannot create the {} event of Service {} (RBAC: create and patch on events in the"
                            + " events.k8s.io group): {}", REASON, service, e.getMessage());
                }
                lastFailure = failure;
            }
        }

        /** Continues {@code open}'s series; false when its Event is gone (expired, deleted) and a new one is due. */
        private boolean patched(ObjectRef service, Series open, Instant now) {
            int count = open.count + 1;
            String patch = "{\"series\":{\"count\":" + count + ",\"lastObservedTime\":\"" + MICRO_TIME.format(now)
                    + "\"}}";
            try {
                client.events().v1().events().inNamespace(service.namespace()).withName(open.eventName)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
                series.remove(service);
                return false;
            }
            series.put(service, new Series(open.eventName, open.first, count));
            log.debug("Service {} still needs pods: event {} series count {}", service, open.eventName, count);
            return true;
        }

        private Event event(ObjectRef service, Instant now) {
            return new EventBuilder()
                    .withNewMetadata().withNamespace(service.namespace())
                    .withName(service.name() + "." + Long.toHexString(now.getEpochSecond() * 1_000_000_000L
                            + now.getNano())).endMetadata()
                    .withRegarding(new ObjectReferenceBuilder().withApiVersion("v1").withKind("Service")
                            .withNamespace(service.namespace()).withName(service.name()).build())
                    .withReason(REASON).withAction(ACTION).withType("Normal")
                    .withNote("A connection is held for want of an endpoint (userspace-proxy.io/hold-when-empty):"
                            + " scale the Service up")
                    .withEventTime(new MicroTime(MICRO_TIME.format(now)))
                    .withReportingController(CONTROLLER).withReportingInstance(instance)
                    .build();
        }
    }
}
