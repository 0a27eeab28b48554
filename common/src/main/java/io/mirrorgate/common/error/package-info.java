/** Error codes (errno on the wire) and the unchecked exception root of Mirrorgate. */
package io.mirrorgate.common.error;
