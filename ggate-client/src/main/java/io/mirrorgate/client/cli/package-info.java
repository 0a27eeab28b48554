/** The ggate-client command line: attach, list, detach, rescue. */
package io.mirrorgate.client.cli;
