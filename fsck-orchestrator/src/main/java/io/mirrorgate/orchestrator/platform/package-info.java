/**
 * The operating system's command sets (Linux {@code ip}/{@code arping}/{@code e2fsck}, FreeBSD
 * {@code ifconfig}/{@code fsck_ufs}) as templates with placeholders, overridable in the configuration.
 */
package io.mirrorgate.orchestrator.platform;
