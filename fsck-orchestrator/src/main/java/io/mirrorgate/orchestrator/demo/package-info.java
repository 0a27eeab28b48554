/** The self-contained demo behind the README's first command. */
package io.mirrorgate.orchestrator.demo;
