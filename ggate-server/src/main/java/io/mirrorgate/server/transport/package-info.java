/** The Netty transport choice (epoll or NIO) shared by every server and client. */
package io.mirrorgate.server.transport;
