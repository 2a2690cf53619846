package dev.rotakey.targets.postgres;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.ServerLoginTargetFactory;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Pattern;

/**
 * Configuration of a {@code postgres-role} target: the server's JDBC URL and the administrative role Rotakey
 * connects as (its password, if the server asks for one, from a {@link SecretSource}).
 */
@JsonTypeName("postgres-role")
public class PostgresRoleTargetFactory extends ServerLoginTargetFactory {
    @NotEmpty
    @Pattern(regexp = "jdbc:postgresql:.*", message = "must be a jdbc:postgresql: URL")
    private String url;
    @NotEmpty
    private String user;

    public PostgresRoleTargetFactory() {
        super(Duration.seconds(5), Duration.seconds(10));
    }

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

    @Override
    public Target build(String name) {
        return new PostgresRoleTarget(name, url, user, readPassword(name),
                (int) Math.ceil(getConnectTimeout().toMilliseconds() / 1000.0),
                (int) Math.ceil(getCommandTimeout().toMilliseconds() / 1000.0));
    }

    @Override
    public String toString() {
        return "PostgresRoleTargetFactory{url=" + (url == null ? null : url.split("\\?", 2)[0]) + ", user=" + user
                + ", password=" + getPassword() + "}";
    }
}
