package dev.rotakey.targets.hooks;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a reload hook is told about the delivery it follows: the target, the agent and credential, the version, the
 * stage ({@value #DELIVERED} or {@value #PROMOTED}) and the absolute path of the delivered file or certificate
 * directory. It never holds the credential itself, so it is safe to print.
 */
public record HookContext(String target, String agentId, String credentialId, int version, String stage, Path path) {
    /** After the material was written, before it is verified. */
    public static final String DELIVERED = "delivered";
    /** After the version was promoted to current. */
    public static final String PROMOTED = "promoted";

    public HookContext {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(credentialId, "credentialId");
        Objects.requireNonNull(path, "path");
        if (!DELIVERED.equals(stage) && !PROMOTED.equals(stage)) {
            throw new IllegalArgumentException("stage must be '" + DELIVERED + "' or '" + PROMOTED + "', not '"
                    + stage + "'");
        }
        // Hooks run with working directory '/': a relative path would name some other file there.
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("path must be absolute: " + path);
        }
    }

    @Override
    public String toString() {
        return "HookContext{target=" + target + ", agent=" + agentId + ", credential=" + credentialId + ", version="
                + version + ", stage=" + stage + ", path=" + path + "}";
    }
}
