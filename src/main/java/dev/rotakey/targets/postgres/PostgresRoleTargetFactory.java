package dev.rotakey.targets.postgres;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.AbstractTargetFactory;
import io.dropwizard.util.Duration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/**
 * Configuration of a {@code postgres-role} target: the server's JDBC URL and the administrative role Rotakey
 * connects as (its password, if the server asks for one, from a {@link SecretSource}).
 */
@JsonTypeName("postgres-role")
public class PostgresRoleTargetFactory extends AbstractTargetFactory {
    @NotEmpty
    @Pattern(regexp = "jdbc:postgresql:.*", message = "must be a jdbc:postgresql: URL")
    private String url;
    @NotEmpty
    private String user;
    @Valid
    private SecretSource password;
    @NotNull
    private Duration connectTimeout = Duration.seconds(5);
    @NotNull
    private Duration commandTimeout = Duration.seconds(10);

    @JsonProperty
    public String getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(String url) {
        this.url = url;
    }

    @JsonProperty
    public String getUser() {
        return user;
    }

    @JsonProperty
    public void setUser(String user) {
        this.user = user;
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

    /** Reads the admin password now, once: a missing secret fails the start, not the first rotation. */
    @Override
    public Target build(String name) {
        char[] secret = password == null ? null : password.read("targets[" + name + "].password");
        return new PostgresRoleTarget(name, url, user, secret, (int) Math.ceil(connectTimeout.toMilliseconds() / 1000.0),
                (int) Math.ceil(commandTimeout.toMilliseconds() / 1000.0));
    }

    @Override
    public String toString() {
        return "PostgresRoleTargetFactory{url=" + (url == null ? null : url.split("\\?", 2)[0]) + ", user=" + user
                + ", password=" + password + "}";
    }
}
