package io.userspaceproxy.agent.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JDK {@link HttpServer} that serves a fixed set of exact paths with GET and HEAD.
 *
 * <p>Why the JDK server and not Netty: these endpoints answer a probe every few seconds and a scrape every few
 * tens of seconds. The JDK server needs no event loop (the data plane's loops must never serve them, and a
 * dedicated Netty group would cost threads and buffers for nothing), and the Prometheus client's
 * {@code MetricsHandler}, which does content negotiation and gzip, is a JDK {@link HttpHandler} already.
 *
 * <p>Threading: one JDK dispatcher thread accepts; handlers run on two daemon threads behind a queue of 64. When
 * the queue is full the dispatcher runs the request itself ({@code CallerRunsPolicy}), which stops it accepting
 * for that long: backpressure instead of an unbounded queue or a rejected exchange left hanging.
 */
public final class AgentHttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentHttpServer.class);
    private static final int THREADS = 2;
    private static final int QUEUE = 64;

    private final String name;
    private final HttpServer server;
    private final ExecutorService executor;
    private final InetSocketAddress address;

    private AgentHttpServer(String name, HttpServer server, ExecutorService executor) {
        this.name = name;
        this.server = server;
        this.executor = executor;
        this.address = server.getAddress();
    }

    /**
     * Binds {@code bindAddress} (port 0 picks a free port) and starts serving {@code routes}, keyed by exact path.
     * Any other path answers 404, any method but GET or HEAD answers 405.
     *
     * @param name names the server in thread names, logs and errors, e.g. {@code "healthz"}
     * @throws HttpBindException when the address cannot be bound; nothing is left running
     */
    public static AgentHttpServer start(String name, InetSocketAddress bindAddress, Map<String, HttpHandler> routes)
            throws HttpBindException {
        HttpServer server;
        try {
            server = HttpServer.create(bindAddress, 0);
        } catch (IOException e) {
            throw new HttpBindException(name, bindAddress, e);
        }
        ExecutorService executor = newExecutor(name);
        server.setExecutor(executor);
        server.createContext("/", new Router(Map.copyOf(routes)));
        server.start();
        AgentHttpServer started = new AgentHttpServer(name, server, executor);
        log.info("{} server listening on {}", name, format(started.address));
        return started;
    }

    /** The address actually bound: with port 0 requested, the port the kernel picked. */
    public InetSocketAddress address() {
        return address;
    }

    /** Stops accepting, closes open exchanges at once and stops the handler threads. Idempotent. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        log.info("{} server on {} stopped", name, format(address));
    }

    /**
     * Writes a complete response with a body (no body for HEAD) and closes the exchange. Bodies here are small
     * JSON or text documents, so they are sent with a fixed length rather than chunked.
     */
    public static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    /** {@code ip:port}, with brackets around IPv6, and never a DNS lookup. */
    public static String format(InetSocketAddress address) {
        return IpAddresses.format(address);
    }

    private static ExecutorService newExecutor(String name) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, name + "-http-" + n.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        return executor;
    }

    private static void answerError(HttpExchange exchange) {
        try {
            if (exchange.getResponseCode() == -1) {
                respond(exchange, 500, "text/plain; charset=utf-8", "500 internal server error\n");
            }
        } catch (IOException e) {
            log.debug("HTTP error response to {} failed", exchange.getRequestURI(), e);
        } finally {
            exchange.close();
        }
    }

    /** Exact-path dispatch: the JDK's contexts match by prefix, so "/healthzfoo" would otherwise reach healthz. */
    private static final class Router implements HttpHandler {
        private final Map<String, HttpHandler> routes;

        Router(Map<String, HttpHandler> routes) {
            this.routes = routes;
        }

        @Override
        public void handle(HttpExchange exchange) throws IOException {
            try {
                HttpHandler handler = routes.get(exchange.getRequestURI().getPath());
                String method = exchange.getRequestMethod();
                if (handler == null) {
                    respond(exchange, 404, "text/plain; charset=utf-8", "404 page not found\n");
                } else if (!"GET".equals(method) && !"HEAD".equals(method)) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    respond(exchange, 405, "text/plain; charset=utf-8", "405 method not allowed\n");
                } else {
                    handler.handle(exchange);
                }
            } catch (IOException e) {
                // The client went away mid-response: nothing to answer.
                log.debug("HTTP {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                exchange.close();
            } catch (RuntimeException e) {
                log.warn("HTTP {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                answerError(exchange);
            }
        }
    }
}
