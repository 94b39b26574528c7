package io.userspaceproxy.agent.config;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar's manifest (set by Maven), or "development" when run from classes. */
final class AgentVersion implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = AgentVersion.class.getPackage().getImplementationVersion();
        return new String[] {"userspace-proxy " + (v == null ? "development" : v)};
    }
}
