/** The ggate-server program: its entry point and its commands (serve, check, keygen). */
package io.mirrorgate.server.cli;
