package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import io.userspaceproxy.agent.watch.convert.KubernetesObjects;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one informer's Services or EndpointSlices into the change tracker: filter by the {@link ServiceProxySelector},
 * convert, hand over, return. It never blocks (conversion is CPU only, the tracker takes one short lock) and never
 * throws into fabric8.
 *
 * <ul>
 *   <li>An object that is not (or no longer) ours is reported deleted, so a label change takes it away even if the
 *       server's selector had not.</li>
 *   <li>An object that cannot be served is reported deleted too (as kube-proxy drops a Service it cannot parse),
 *       logged at WARN with every reason, and counted.</li>
 *   <li>An update is decided on content, never on resource versions: an API server restored from a backup (or a
 *       new control plane) repeats versions, so a changed object can come back under the version last seen.
 *       fabric8's own store then sends no update at the relist (it compares versions), but it keeps the new object
 *       and hands it over at the next resync ({@code --config-sync-period}) as {@code onUpdate(o, o)}. So every
 *       update, resyncs included, is converted, and the tracker compares the converted records and ignores an
 *       equal one. A resync's warnings are logged at DEBUG only, so they do not repeat at WARN every period; the
 *       others are logged at WARN and counted, once per version of the object.</li>
 *   <li>Nothing an object contains can throw out of a callback: a failed conversion (even an unexpected
 *       exception or a stack overflow) rejects that object only, logged and counted.</li>
 * </ul>
 *
 * <p>Threading: fabric8 calls one handler serially from the informer's executor.
 */
final class TrackerHandler<T extends HasMetadata> implements ResourceEventHandler<T> {

    private static final Logger log = LoggerFactory.getLogger(TrackerHandler.class);

    /** Converts an object and reports it to the tracker; throws {@link InvalidResourceException} when it cannot. */
    @FunctionalInterface
    interface Upsert<T> {
        void accept(T object, Consumer<String> warnings);
    }

    private static final Consumer<String> DEBUG_WARNING = warning -> log.debug("{} (again, at a resync)", warning);

    private final String kind;
    private final ServiceProxySelector selector;
    private final Upsert<T> upsert;
    private final Consumer<ObjectRef> delete;
    private final Consumer<String> onInvalid;
    private final Consumer<String> warnAndCount;

    /**
     * @param kind      the Kubernetes kind, for logs and the counters
     * @param onInvalid called with {@code kind} for each object rejected as invalid
     * @param onWarning called with {@code kind} for each warning logged at WARN (served, with something ignored)
     */
    TrackerHandler(String kind, ServiceProxySelector selector, Upsert<T> upsert, Consumer<ObjectRef> delete,
            Consumer<String> onInvalid, Consumer<String> onWarning) {
        this.kind = kind;
        this.selector = selector;
        this.upsert = upsert;
        this.delete = delete;
        this.onInvalid = onInvalid;
        this.warnAndCount = warning -> {
            log.warn("{}", warning);
            onWarning.accept(kind);
        };
    }

    @Override
    public void onAdd(T object) {
        report(object, false);
    }

    @Override
    public void onUpdate(T old, T object) {
        report(object, old == object);
    }

    /** {@code unknownFinalState}: the delete was inferred on a relist, after a disconnection. Same handling. */
    @Override
    public void onDelete(T object, boolean unknownFinalState) {
        ObjectRef ref = KubernetesObjects.refOf(object == null ? null : object.getMetadata());
        log.debug("{} {} deleted{}", kind, ref, unknownFinalState ? " (while the watch was down)" : "");
        delete.accept(ref);
    }

    private void report(T object, boolean resync) {
        if (object == null) {
            log.warn("{}: the informer handed over no object; ignored", kind);
            onInvalid.accept(kind);
            return;
        }
        ObjectMeta meta = object.getMetadata();
        ObjectRef ref = KubernetesObjects.refOf(meta);
        if (!selector.accepts(meta == null ? null : meta.getLabels())) {
            log.debug("{} {} is not this proxy's ({}); not served", kind, ref, selector);
            delete.accept(ref);
            return;
        }
        try {
            upsert.accept(object, resync ? DEBUG_WARNING : warnAndCount);
        } catch (InvalidResourceException e) {
            log.warn("{} rejected, not served: {}", kind, e.getMessage());
            reject(ref);
        } catch (RuntimeException | StackOverflowError e) {
            log.error("{} {} could not be converted, not served", kind, ref, e);
            reject(ref);
        }
    }

    private void reject(ObjectRef ref) {
        delete.accept(ref);
        onInvalid.accept(kind);
    }

    @Override
    public String toString() {
        return kind + " handler (" + Objects.toString(selector) + ")";
    }
}
