/**
 * The takeover plan (fence, primary role, fsck, mount, service addresses, services, notify), its
 * reverse (demote), the external commands they run and the state file that lets a crash resume.
 */
package io.mirrorgate.orchestrator.takeover;
