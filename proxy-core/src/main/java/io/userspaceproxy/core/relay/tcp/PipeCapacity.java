package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.unix.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A pipe's capacity, {@code fcntl(F_SETPIPE_SZ)}, which neither Netty's native library nor the JDK expose. The call goes through the Foreign Function API ({@code java.lang.foreign}), final since
 * Java 22 and reached here by reflection, so the relay still builds for and runs on Java 17: there, and wherever
 * native access is denied, {@link #isAvailable} is false and pipes keep the kernel's default.
 *
 * <p>The lookup runs once; each call is then a plain downcall, made once per new pipe (pipes are pooled).
 */
final class PipeCapacity {

    /** {@code F_LINUX_SPECIFIC_BASE + 7}, from {@code <linux/fcntl.h>}. */
    private static final int F_SETPIPE_SZ = 1031;

    private static final @Nullable MethodHandle FCNTL;
    private static final @Nullable String UNAVAILABILITY_CAUSE;

    static {
        MethodHandle fcntl = null;
        String cause = null;
        if (Runtime.version().feature() < 22) {
            cause = "setting it needs Java 22 or later (java.lang.foreign); this is Java "
                    + Runtime.version().feature();
        } else {
            try {
                fcntl = lookUpFcntl();
            } catch (ReflectiveOperationException | RuntimeException e) {
                // IllegalCallerException when native access is denied (--illegal-native-access=deny).
                Throwable reason = e.getCause() != null ? e.getCause() : e;
                cause = "fcntl could not be linked: " + reason;
            }
        }
        FCNTL = fcntl;
        UNAVAILABILITY_CAUSE = cause;
    }

    private PipeCapacity() {
    }

    static boolean isAvailable() {
        return FCNTL != null;
    }

    /** Why pipes keep the kernel's default capacity here; {@code null} when {@link #isAvailable}. */
    static @Nullable String unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * Asks the kernel for a capacity of {@code bytes} (it rounds up to a power of two pages) and returns what the pipe
     * has now, or -1 when the kernel refused: over {@code fs.pipe-max-size} or the user's share of pipe memory
     * ({@code fs.pipe-user-pages-soft}) without {@code CAP_SYS_RESOURCE}, or fewer bytes than the pipe holds.
     */
    static int set(FileDescriptor pipe, int bytes) {
        MethodHandle fcntl = FCNTL;
        if (fcntl == null) {
            throw new IllegalStateException("pipe capacity unavailable: " + UNAVAILABILITY_CAUSE);
        }
        try {
            return (int) fcntl.invokeExact(pipe.intValue(), F_SETPIPE_SZ, bytes);
        } catch (Error | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            // A downcall declares nothing; this is unreachable, kept only because invokeExact declares Throwable.
            throw new IllegalStateException(t);
        }
    }

    /**
     * {@code Linker.nativeLinker().downcallHandle(defaultLookup().find("fcntl"), FunctionDescriptor.of(JAVA_INT,
     * JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2))}, written by reflection: {@code fcntl} is
     * variadic after its command.
     */
    private static MethodHandle lookUpFcntl() throws ReflectiveOperationException {
        Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
        Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
        Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
        Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
        Object linker = linkerType.getMethod("nativeLinker").invoke(null);
        Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
        Object symbol = ((Optional<?>) Class.forName("java.lang.foreign.SymbolLookup")
                .getMethod("find", String.class).invoke(lookup, "fcntl"))
                .orElseThrow(() -> new IllegalStateException("no fcntl in the C library"));
        Object javaInt = Class.forName("java.lang.foreign.ValueLayout").getField("JAVA_INT").get(null);
        Object arguments = Array.newInstance(layoutType, 3);
        for (int i = 0; i < 3; i++) {
            Array.set(arguments, i, javaInt);
        }
        Object descriptor = descriptorType.getMethod("of", layoutType, arguments.getClass())
                .invoke(null, javaInt, arguments);
        Object options = Array.newInstance(optionType, 1);
        Array.set(options, 0, optionType.getMethod("firstVariadicArg", int.class).invoke(null, 2));
        return (MethodHandle) linkerType
                .getMethod("downcallHandle", Class.forName("java.lang.foreign.MemorySegment"), descriptorType,
                        options.getClass())
                .invoke(linker, symbol, descriptor, options);
    }
}
