/**
 * Network addresses as operators write them: {@link io.mirrorgate.common.net.HostPort} ({@code
 * host:port}, IPv6 in brackets).
 */
package io.mirrorgate.common.net;
