package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.PositiveDurations;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An {@code exec} hook's configuration: the {@code command} to run as an argv whose program is an absolute path (no
 * shell, no search of PATH), its {@code timeout} (30 s), and extra {@code environment} variables.
 */
@JsonTypeName("exec")
public class ExecHookFactory extends ReloadHookFactory {
    private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    @NotEmpty
    private List<String> command;
    @NotNull
    private Duration timeout = Duration.seconds(30);
    @NotNull
    private Map<String, String> environment = Map.of();

    @Override
    public ReloadHook build(String name) {
        return new ExecHook(name, command, environment, timeout.toJavaDuration());
    }

    @SelfValidation
    public void validateCommand(ViolationCollector violations) {
        PositiveDurations.check(violations, "timeout", timeout == null ? null : timeout.toJavaDuration());
        if (command != null && !command.isEmpty()) {
            // The daemon's PATH is not the hook's: a bare name would be looked up somewhere the operator never chose.
            String program = command.get(0);
            if (program == null || !program.startsWith("/")) {
                violations.addViolation("command",
                        "must start with the program's absolute path (it is run without a shell)");
            }
            if (command.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
                violations.addViolation("command", "must not hold null arguments or NUL characters");
            }
        }
        if (environment != null) {
            environment.forEach((variable, value) -> {
                if (!VARIABLE.matcher(variable).matches()) {
                    violations.addViolation("environment", variable, "must be a name of letters, digits and '_'");
                } else if (variable.startsWith("ROTAKEY_")) {
                    violations.addViolation("environment", variable,
                            "is set by Rotakey itself (ROTAKEY_* describe the delivery)");
                }
                if (value == null || value.indexOf('\0') >= 0) {
                    violations.addViolation("environment", variable, "must have a value without NUL characters");
                }
            });
        }
    }

    @JsonProperty
    public List<String> getCommand() {
        return command;
    }

    @JsonProperty
    public void setCommand(List<String> command) {
        this.command = command;
    }

    @JsonProperty
    public Duration getTimeout() {
        return timeout;
    }

    @JsonProperty
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @JsonProperty
    public Map<String, String> getEnvironment() {
        return environment;
    }

    @JsonProperty
    public void setEnvironment(Map<String, String> environment) {
        this.environment = environment;
    }

    /** The program only: arguments and values are the operator's and may hold anything. */
    @Override
    public String toString() {
        return "ExecHookFactory{program=" + (command == null || command.isEmpty() ? null : command.get(0))
                + ", timeout=" + timeout + ", environment=" + (environment == null ? null : environment.keySet()) + "}";
    }
}
