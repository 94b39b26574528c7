/**
 * The API server as a source: fabric8 informers on Services, EndpointSlices and this node's Node, with their
 * client (rate limit, retries) and event handlers, and the NeedPods Events the agent writes back.
 */
@NullMarked
package io.userspaceproxy.agent.watch.api;

import org.jspecify.annotations.NullMarked;
