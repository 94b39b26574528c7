package io.userspaceproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;

/**
 * Runs every benchmark the JMH processor registered once, directly and without JMH: its states are built with
 * each {@code @Param} at its first (smallest) value, their {@code @Setup} methods run, the benchmark method is
 * invoked once, and {@code @TearDown} runs. A benchmark whose setup or body throws, or that returns nothing where
 * it should return what it computed, fails the build instead of failing the first real run. The relay benchmarks
 * start a real proxy and backends on loopback here, so each run is bounded in time.
 */
class BenchmarkSmokeTest {

    /** Bounds one benchmark's setup, call and teardown; the relay benchmarks' sockets time out well within it. */
    private static final Duration ONE_BENCHMARK = Duration.ofSeconds(60);

    private static final Blackhole BLACKHOLE = new Blackhole(
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @Test
    void benchmarkList_afterCompile_registersEverySuiteClass() {
        assertThat(registered().keySet())
                .contains("io.userspaceproxy.bench.balance.RoundRobinBenchmark.pick",
                        "io.userspaceproxy.bench.table.LookupBenchmark.routeSlot",
                        "io.userspaceproxy.bench.table.LookupBenchmark.proxyTable",
                        "io.userspaceproxy.bench.table.LookupBenchmark.iptablesModel",
                        "io.userspaceproxy.bench.table.TableBuildBenchmark.applyChange",
                        "io.userspaceproxy.bench.table.TableBuildBenchmark.applySnapshot",
                        "io.userspaceproxy.bench.balance.ClientIpAffinityBenchmark.pickHit",
                        "io.userspaceproxy.bench.balance.ClientIpAffinityBenchmark.pickMiss",
                        "io.userspaceproxy.bench.relay.TcpRelayLoopbackBenchmark.bulk",
                        "io.userspaceproxy.bench.relay.TcpRelayLoopbackBenchmark.connectRequestClose",
                        "io.userspaceproxy.bench.relay.UdpRelayLoopbackBenchmark.roundTrip",
                        "io.userspaceproxy.bench.relay.UdpRelayLoopbackBenchmark.window",
                        "io.userspaceproxy.bench.relay.UdpRelayLoopbackBenchmark.windowClients");
    }

    @TestFactory
    Stream<DynamicTest> everyBenchmark_setupAndOneInvocation_returnsAResult() {
        return registered().entrySet().stream()
                .map(e -> DynamicTest.dynamicTest(e.getKey(),
                        () -> assertTimeoutPreemptively(ONE_BENCHMARK, () -> runOnce(e.getValue()))));
    }

    /** Benchmark name to its entry, one entry per method (JMH lists a method once per mode). */
    private static Map<String, BenchmarkListEntry> registered() {
        Map<String, BenchmarkListEntry> byName = new LinkedHashMap<>();
        for (BenchmarkListEntry entry : new TreeSet<>(BenchmarkList.defaultList().getAll(null, List.of()))) {
            byName.putIfAbsent(entry.getUsername(), entry);
        }
        return byName;
    }

    private static void runOnce(BenchmarkListEntry entry) throws Exception {
        Class<?> type = Class.forName(entry.getUserClassQName());
        String methodName = entry.getUsername().substring(entry.getUsername().lastIndexOf('.') + 1);
        Method method = Stream.of(type.getMethods())
                .filter(m -> m.getName().equals(methodName) && m.isAnnotationPresent(Benchmark.class))
                .findFirst()
                .orElseThrow();
        List<Object> states = new ArrayList<>();
        Object target = type.isAnnotationPresent(State.class) ? newState(type, states) : null;
        Object[] args = new Object[method.getParameterCount()];
        for (int i = 0; i < args.length; i++) {
            Class<?> p = method.getParameterTypes()[i];
            args[i] = p == Blackhole.class ? BLACKHOLE : newState(p, states);
        }
        Object result;
        try {
            result = method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        }
        for (Object state : states) {
            invokeAnnotated(state, TearDown.class);
        }
        if (method.getReturnType() != void.class) {
            assertThat(result).as("%s returned", entry.getUsername()).isNotNull();
        }
    }

    private static Object newState(Class<?> type, List<Object> states) throws Exception {
        for (Object existing : states) {
            if (existing.getClass() == type) {
                return existing;
            }
        }
        Object state = type.getDeclaredConstructor().newInstance();
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                Param param = field.getAnnotation(Param.class);
                if (param != null && param.value().length > 0) {
                    field.setAccessible(true);
                    field.set(state, convert(param.value()[0], field.getType()));
                }
            }
        }
        invokeAnnotated(state, Setup.class);
        states.add(state);
        return state;
    }

    /** Runs the state's fixture methods of one kind, trial level first, as JMH orders them. */
    private static void invokeAnnotated(Object state, Class<? extends java.lang.annotation.Annotation> kind)
            throws Exception {
        for (Level level : List.of(Level.Trial, Level.Iteration, Level.Invocation)) {
            for (Method m : state.getClass().getMethods()) {
                Level actual = kind == Setup.class
                        ? (m.isAnnotationPresent(Setup.class) ? m.getAnnotation(Setup.class).value() : null)
                        : (m.isAnnotationPresent(TearDown.class) ? m.getAnnotation(TearDown.class).value() : null);
                if (actual == level && !Modifier.isStatic(m.getModifiers())) {
                    try {
                        m.invoke(state);
                    } catch (InvocationTargetException e) {
                        throw rethrow(e);
                    }
                }
            }
        }
    }

    private static Object convert(String value, Class<?> type) {
        if (type == int.class || type == Integer.class) {
            return Integer.parseInt(value);
        }
        if (type == long.class || type == Long.class) {
            return Long.parseLong(value);
        }
        if (type == String.class) {
            return value;
        }
        throw new IllegalArgumentException("@Param of type " + type + " (expected: int, long or String)");
    }

    private static Exception rethrow(InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Error error) {
            throw error;
        }
        return cause instanceof Exception ex ? ex : e;
    }
}
