package io.userspaceproxy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

class ThreadDumpOnFailureTest {

    @Test
    void failure_rethrownWithWhereEveryThreadWaits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread stuck = new Thread(() -> awaitQuietly(release), "stuck-sync");
        stuck.start();
        try {
            await().until(() -> stuck.getState() == Thread.State.WAITING);
            ExtensionContext context = displayNamed("portTaken()");
            AssertionError failure = new AssertionError("condition not met within 5 s");

            assertThatThrownBy(() -> new ThreadDumpOnFailure().handleTestExecutionException(context, failure))
                    .isSameAs(failure);

            assertThat(failure.getSuppressed()).singleElement().extracting(Throwable::getMessage).asString()
                    .contains("\"stuck-sync\" WAITING")
                    .contains(ThreadDumpOnFailureTest.class.getName() + ".awaitQuietly(");
        } finally {
            release.countDown();
            stuck.join();
        }
    }

    /** A context that answers only what the handler asks for. */
    private static ExtensionContext displayNamed(String name) {
        return (ExtensionContext) Proxy.newProxyInstance(ExtensionContext.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getDisplayName")) {
                        return name;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
