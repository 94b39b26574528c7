package io.userspaceproxy.agent.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD mock API server, made to go away and come back on the same port with its state, as a real API
 * server restarts in front of the same etcd.
 *
 * <p>The state lives in one {@link KubernetesCrudDispatcher} (the "etcd"), shared by every server instance this
 * class starts. While the server is {@link #stop() stopped}, {@link #changeWhileDown} applies changes through a
 * second instance on another port, which no agent knows. {@link #restart()} then serves the state again on the
 * original port, answering a watch that resumes from a resource version older than the restart with the event a
 * restarted kube-apiserver sends (its watch cache starts at the current revision): an ERROR event carrying a 410
 * Expired status ("too old resource version"). A client must then list again, which is how deletes made while it
 * was away reach it. The CRUD mock alone would instead resume the watch silently and lose those deletes.
 *
 * <p>{@link #delayFirstSliceList} holds back the body of the first EndpointSlice list, to show what a client does
 * while some of its caches have synced and others have not.
 */
public final class RestartableApiServer implements AutoCloseable {

    private static final Pattern RESOURCE_VERSION = Pattern.compile("[?&]resourceVersion=(\\d+)");
    private static final String GONE = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\","
            + "\"code\":410}}";

    private volatile KubernetesCrudDispatcher state = new KubernetesCrudDispatcher(List.of());
    private final AtomicBoolean sliceListDelayed = new AtomicBoolean();
    private volatile long restartedAtVersion;
    private volatile Duration sliceListDelay = Duration.ZERO;
    private KubernetesMockServer server;
    private boolean running;
    private KubernetesClient client;
    private int port;

    private RestartableApiServer() {
    }

    /** Starts on a free port of 127.0.0.1. */
    public static RestartableApiServer start() {
        RestartableApiServer api = new RestartableApiServer();
        api.server = api.serve(0);
        api.running = true;
        api.port = api.server.getPort();
        return api;
    }

    /** The API server's URL, for {@code --master}; the same across restarts. */
    public String url() {
        return "http://127.0.0.1:" + port + "/";
    }

    /** A client of the running server (the test's "kubectl"). */
    public KubernetesClient client() {
        if (client == null) {
            client = server.createClient();
        }
        return client;
    }

    /** Holds back the first EndpointSlice list response by {@code delay} (set before a client starts). */
    public void delayFirstSliceList(Duration delay) {
        sliceListDelay = delay;
    }

    /** Stops serving: open watches break and new connections are refused. */
    public void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (running) {
            running = false;
            server.destroy();
        }
    }

    /** Applies {@code changes} to the state while the server is stopped, through an instance nobody else knows. */
    public void changeWhileDown(Consumer<KubernetesClient> changes) {
        KubernetesMockServer side = serve(0);
        try (KubernetesClient sideClient = side.createClient()) {
            changes.accept(sideClient);
        } finally {
            side.destroy();
        }
    }

    /** Serves the state again on the original port; older watches get 410 Gone. */
    public void restart() {
        restartedAtVersion = state.requestResourceVersion();
        server = serve(port);
        running = true;
    }

    /**
     * Stops, replaces the whole state with what {@code backup} creates on an empty store, and serves it again on the
     * original port, as an API server restored from a backup (or a new control plane) does: resource versions start
     * over, so an object can come back changed under a version a client has already seen. {@code padding} more
     * objects (ConfigMaps) move the store's version past anything a client saw before, so every watch resuming from
     * before the restore is expired (410) and clients list again, which is when they meet the repeated versions.
     */
    public void restoreFromBackup(Consumer<KubernetesClient> backup, int padding) {
        stop();
        state = new KubernetesCrudDispatcher(List.of());
        changeWhileDown(k -> {
            backup.accept(k);
            for (int i = 0; i < padding; i++) {
                k.configMaps().inNamespace("padding").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                        .withNewMetadata().withName("padding-" + i).endMetadata().build()).create();
            }
        });
        restart();
    }

    @Override
    public void close() {
        stop();
    }

    private KubernetesMockServer serve(int onPort) {
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new Dispatcher() {
                    @Override
                    public MockResponse dispatch(RecordedRequest request) {
                        return RestartableApiServer.this.dispatch(request);
                    }
                }, false);
        s.init(InetAddress.getLoopbackAddress(), onPort);
        return s;
    }

    private MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        boolean watch = path.contains("watch=true");
        if (watch && resourceVersion(path) < restartedAtVersion) {
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket webSocket, Response response) {
                    webSocket.send(GONE);
                    webSocket.close(1000, "too old resource version");
                }
            });
        }
        MockResponse response = state.dispatch(request);
        if (!watch && path.startsWith("/apis/discovery.k8s.io/v1/endpointslices")
                && !sliceListDelay.isZero() && sliceListDelayed.compareAndSet(false, true)) {
            response.setBodyDelay(sliceListDelay);
        }
        return response;
    }

    private static long resourceVersion(String path) {
        Matcher m = RESOURCE_VERSION.matcher(path);
        return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }
}
