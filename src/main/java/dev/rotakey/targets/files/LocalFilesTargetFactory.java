package dev.rotakey.targets.files;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.targets.AbstractTargetFactory;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.hooks.ReloadHookFactory;
import dev.rotakey.targets.hooks.ReloadHooks;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of a {@code local-files} target: a base directory under which each credential
 * binding names a relative file that receives the credential's material.
 */
@JsonTypeName("local-files")
@SelfValidating
public class LocalFilesTargetFactory extends AbstractTargetFactory {
    private static final Logger LOG = LoggerFactory.getLogger(LocalFilesTargetFactory.class);

    @NotEmpty
    private String directory;

    /** Whether every node of a cluster sees the same directory (shared storage): a cluster refuses it otherwise. */
    private boolean shared;

    /** What bindings may run after delivery or promotion ({@code onDeliver}, {@code onPromote}), by name. */
    @Valid
    private Map<String, ReloadHookFactory> hooks = Map.of();

    @JsonProperty
    public String getDirectory() {
        return directory;
    }

    @JsonProperty
    public void setDirectory(String directory) {
        this.directory = directory;
    }

    @JsonProperty
    public boolean isShared() {
        return shared;
    }

    @JsonProperty
    public void setShared(boolean shared) {
        this.shared = shared;
    }

    @JsonProperty
    public Map<String, ReloadHookFactory> getHooks() {
        return hooks;
    }

    @JsonProperty
    public void setHooks(Map<String, ReloadHookFactory> hooks) {
        this.hooks = hooks == null ? Map.of() : hooks;
    }

    @SelfValidation
    public void validateHookNames(ViolationCollector violations) {
        ReloadHooks.checkNames(violations, "hooks", hooks);
    }

    /** The files are written on whichever node runs the rotation: of use to other hosts only on shared storage. */
    @Override
    public boolean nodeLocal() {
        return !shared;
    }

    /** Creates the base directory (mode 0700) if it is missing, so that a fresh install works. */
    @Override
    public Target build(String name) {
        Path base = Path.of(directory).toAbsolutePath().normalize();
        try {
            if (!Files.exists(base)) {
                Files.createDirectories(base, PosixFilePermissions.asFileAttribute(BaseDirectory.DIRECTORY_MODE));
            }
            if (!Files.isDirectory(base)) {
                throw new TargetException("target '" + name + "': " + base + " is not a directory", false);
            }
            // An operator may have chosen a shared directory on purpose: warn rather than chmod it.
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(base);
            // 0711 is expected where agents read their own files (bindings with a group): passing through is harmless.
            if (!FileAccess.PASS_THROUGH.containsAll(mode)) {
                LOG.warn("target '{}': directory {} has mode {}, which lets other users list or change delivered "
                        + "credentials; 0700, or 0711 for agents' own files, is expected",
                        name, base, PosixFilePermissions.toString(mode));
            }
        } catch (IOException e) {
            throw new TargetException("target '" + name + "': cannot prepare directory " + base, false, e);
        }
        return new LocalFilesTarget(name, base, ReloadHooks.build(name, hooks));
    }

    @Override
    public String toString() {
        return "LocalFilesTargetFactory{directory=" + directory + ", shared=" + shared + ", hooks=" + hooks.keySet() + "}";
    }
}
