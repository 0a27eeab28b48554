package io.mirrorgate.server.export;

/**
 * What the {@link ExportRegistry} asks its device opener for: the path of a device or image and
 * whether to open it read-only (every exports line for the path grants RO).
 */
public record ExportSpec(String path, boolean readOnly) {}
