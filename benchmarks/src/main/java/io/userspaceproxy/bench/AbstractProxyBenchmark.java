package io.userspaceproxy.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings every benchmark of the suite inherits (JMH's annotations are {@code @Inherited}), chosen for a
 * small, shared machine: one fork (a second fork mostly measures the neighbours), three one-second warmups and five
 * one-second measurements, which is enough for the hot-path code here to reach C2 and stay there. The command line
 * overrides any of them ({@code -f -wi -i -w -r}).
 *
 * <p>The forked JVM gets a fixed heap, so that heap resizing does not land inside a measurement, and Netty's leak
 * detection disabled, because its sampling would add allocation and time the proxy does not pay in production.
 * Tests run with it paranoid instead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms3g", "-Xmx3g"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public abstract class AbstractProxyBenchmark {
}
