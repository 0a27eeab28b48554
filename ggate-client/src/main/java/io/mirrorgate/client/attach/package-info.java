/** An attached remote disk: the remote device served on a local NBD endpoint. */
package io.mirrorgate.client.attach;
