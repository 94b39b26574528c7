package io.userspaceproxy.agent.metrics;

/** The histogram buckets of kube-proxy's metrics, so that their series line up with kube-proxy's own. */
final class KubeProxyBuckets {

    /** Sync durations: 1 ms doubling 15 times, up to about 16 s. */
    static final double[] SYNC = exponential(0.001, 2, 15);
    /** Network programming latency: 0, 0.25 s, 0.5 s, 1..59 s, 60..115 s by 5, 120..300 s by 30. */
    static final double[] PROGRAMMING = programming();

    private KubeProxyBuckets() {
    }

    private static double[] exponential(double start, double factor, int count) {
        double[] bounds = new double[count];
        for (int i = 0; i < count; i++) {
            bounds[i] = start * Math.pow(factor, i);
        }
        return bounds;
    }

    private static double[] programming() {
        double[] bounds = new double[1 + 2 + 59 + 12 + 7];
        int i = 0;
        bounds[i++] = 0;
        bounds[i++] = 0.25;
        bounds[i++] = 0.5;
        for (int s = 1; s <= 59; s++) {
            bounds[i++] = s;
        }
        for (int s = 60; s <= 115; s += 5) {
            bounds[i++] = s;
        }
        for (int s = 120; s <= 300; s += 30) {
            bounds[i++] = s;
        }
        return bounds;
    }
}
