package io.mirrorgate.common.error;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reason of a JDK or Netty failure in an operator's words: {@code no such file}, {@code
 * permission denied}, {@code connection refused}, {@code address already in use}; never a Java
 * class name nor a native call such as {@code finishConnect(..) failed with error(-111)}.
 */
public final class Reasons {
    /** Netty's native errors: {@code bind(..) failed with error(-98): Address already in use}. */
    private static final Pattern NATIVE = Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: (.*)$");
    /** A trailing {@code : /127.0.0.1:3080} that Netty appends to connect failures. */
    private static final Pattern TRAILING_ADDRESS = Pattern.compile(": /\\S*$");

    private Reasons() {}

    /**
     * The reason of {@code failure} itself (not of its cause chain); a file system failure
     * names its file: {@code /etc/mirrorgate/key: no such file}.
     */
    public static String of(Throwable failure) {
        if (failure instanceof FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + ": " + fileReason(fs);
        }
        return fileReason(failure);
    }

    /** The reason of a failure without the file it names. */
    public static String fileReason(Throwable failure) {
        if (failure instanceof NoSuchFileException) {
            return "no such file";
        }
        if (failure instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (failure instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (failure instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (failure instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (failure instanceof FileSystemException fs && fs.getReason() != null) {
            return lowerFirst(fs.getReason());
        }
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            return failure instanceof java.io.IOException ? "I/O error" : "internal error";
        }
        if (failure instanceof MirrorgateException) {
            return message;
        }
        Matcher m = NATIVE.matcher(message);
        if (m.matches()) {
            message = m.group(1);
        }
        message = TRAILING_ADDRESS.matcher(message).replaceFirst("");
        return lowerFirst(message);
    }

    /** Whether {@code failure} (or a cause) says that an address is already in use. */
    public static boolean addressInUse(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return t.getMessage() == null || t.getMessage().contains("in use");
            }
        }
        return false;
    }

    private static String lowerFirst(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
        }
        return s;
    }
}
