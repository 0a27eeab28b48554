/** Command-line programs: ggate-server's entry point and what every Mirrorgate CLI shares. */
package io.mirrorgate.server.cli;
