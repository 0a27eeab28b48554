/** Exports: the exports file, access rules and the resolver both protocols ask. */
package io.mirrorgate.server.export;
