/** End-to-end tests through real processes: ggate-server, ggate-client attach and NBD tools. */
package io.mirrorgate.client.endtoend;
