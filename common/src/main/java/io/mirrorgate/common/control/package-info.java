/**
 * The local control socket of the daemons: a Unix domain socket answering one JSON line with one
 * JSON line, failures carrying their error code.
 */
package io.mirrorgate.common.control;
