/** Test fixtures of the orchestrator: a fake machine behind the command runner, configurations. */
package io.mirrorgate.orchestrator.testing;
