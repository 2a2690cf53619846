package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@code signal} hook's configuration: the service's {@code pidFile} (an absolute path) and the {@code signal} to
 * send it, HUP by default, one of those services reload or reopen on.
 */
@JsonTypeName("signal")
public class SignalHookFactory extends ReloadHookFactory {
    /** Where {@code kill} is looked for, in order: never on a PATH. */
    static final List<Path> KILL_PROGRAMS = List.of(Path.of("/bin/kill"), Path.of("/usr/bin/kill"));

    @NotBlank
    private String pidFile;
    /** The signals services reload, reopen or restart on; KILL, STOP and the like are no reload. */
    @NotNull
    @Pattern(regexp = "HUP|USR1|USR2|TERM|INT|QUIT|WINCH",
            message = "must be one of HUP, USR1, USR2, TERM, INT, QUIT, WINCH")
    private String signal = "HUP";

    /** Fails the start when the system has no {@code kill} program rather than at the first rotation. */
    @Override
    public ReloadHook build(String name) {
        Path kill = KILL_PROGRAMS.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(key(name) + ": found no kill program at "
                        + KILL_PROGRAMS));
        return new SignalHook(name, Path.of(pidFile), signal, kill);
    }

    @SelfValidation
    public void validatePidFile(ViolationCollector violations) {
        if (pidFile != null && !pidFile.isBlank() && (!pidFile.startsWith("/") || pidFile.indexOf('\0') >= 0)) {
            violations.addViolation("pidFile", "must be an absolute path");
        }
    }

    @JsonProperty
    public String getPidFile() {
        return pidFile;
    }

    @JsonProperty
    public void setPidFile(String pidFile) {
        this.pidFile = pidFile;
    }

    @JsonProperty
    public String getSignal() {
        return signal;
    }

    @JsonProperty
    public void setSignal(String signal) {
        this.signal = signal;
    }

    @Override
    public String toString() {
        return "SignalHookFactory{pidFile=" + pidFile + ", signal=" + signal + "}";
    }
}
