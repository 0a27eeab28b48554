/** Tests of an attachment embedded in the test JVM: its NBD endpoint against real NBD tools. */
package io.mirrorgate.client.attach;
