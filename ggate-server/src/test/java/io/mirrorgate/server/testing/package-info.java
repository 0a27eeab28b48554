/** Shared test fixtures (the ggate-server test-jar): devices, servers, child processes, tools, data. */
package io.mirrorgate.server.testing;
