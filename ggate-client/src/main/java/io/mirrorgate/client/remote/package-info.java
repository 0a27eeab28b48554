/** The remote block device: a pipelined, reconnecting ggate client connection to one export. */
package io.mirrorgate.client.remote;
