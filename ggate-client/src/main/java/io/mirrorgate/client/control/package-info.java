/** The local control endpoint of running attachments: run directory, socket server and client. */
package io.mirrorgate.client.control;
