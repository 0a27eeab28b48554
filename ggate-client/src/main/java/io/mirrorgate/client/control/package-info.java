/** The run directory of attachments: their ids, locks and control sockets. */
package io.mirrorgate.client.control;
