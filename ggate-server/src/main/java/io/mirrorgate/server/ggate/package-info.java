/** The ggate server side: per-connection handler, channel initializer and per-export fencing state. */
package io.mirrorgate.server.ggate;
