package dev.rotakey.targets;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.config.SecretSource;
import io.dropwizard.util.Duration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * The settings of a target that logs in to a server as an administrative user (PostgreSQL, Redis):
 * that user's optional {@code password} (from a {@link SecretSource}), a {@code connectTimeout} and a
 * {@code commandTimeout}, whose defaults each target type chooses.
 */
public abstract class ServerLoginTargetFactory extends AbstractTargetFactory {
    @Valid
    private SecretSource password;
    @NotNull
    private Duration connectTimeout;
    @NotNull
    private Duration commandTimeout;

    protected ServerLoginTargetFactory(Duration connectTimeout, Duration commandTimeout) {
        this.connectTimeout = connectTimeout;
        this.commandTimeout = commandTimeout;
    }

    @JsonProperty
    public SecretSource getPassword() {
        return password;
    }

    @JsonProperty
    public void setPassword(SecretSource password) {
        this.password = password;
    }

    @JsonProperty
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    @JsonProperty
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    @JsonProperty
    public Duration getCommandTimeout() {
        return commandTimeout;
    }

    @JsonProperty
    public void setCommandTimeout(Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    /**
     * Reads the admin password of the target named {@code name} now, once, so that a missing secret fails
     * the start, not the first rotation; null without one. The caller owns the array.
     */
    protected char[] readPassword(String name) {
        return password == null ? null : password.read("targets[" + name + "].password");
    }
}
