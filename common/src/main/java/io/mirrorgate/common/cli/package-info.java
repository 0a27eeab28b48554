/**
 * The command-line conventions of every Mirrorgate program: the picocli exception handler and exit
 * codes ({@link io.mirrorgate.common.cli.Cli}, {@link io.mirrorgate.common.cli.ExitCodes}),
 * signals, sizes as operators write them, and shared key files.
 */
package io.mirrorgate.common.cli;
