/** The asynchronous block device abstraction and its local (file and disk) implementation. */
package io.mirrorgate.server.device;
