package dev.rotakey.targets.mariadb;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.ServerLoginTargetFactory;
import dev.rotakey.targets.Target;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Pattern;

/**
 * Configuration of a {@code mariadb-user} target: the server's JDBC URL and the administrative user Rotakey connects as
 * (its password, if the server asks for one, from a {@link SecretSource}).
 */
@JsonTypeName("mariadb-user")
public class MariaDbUserTargetFactory extends ServerLoginTargetFactory {
    @NotEmpty
    @Pattern(regexp = "jdbc:mariadb:.*", message = "must be a jdbc:mariadb: URL")
    private String url;
    @NotEmpty
    private String user;

    public MariaDbUserTargetFactory() {
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
        return new MariaDbUserTarget(name, url, user, readPassword(name),
                (int) Math.min(Integer.MAX_VALUE, getConnectTimeout().toMilliseconds()),
                (int) Math.min(Integer.MAX_VALUE, getCommandTimeout().toMilliseconds()));
    }

    @Override
    public String toString() {
        return "MariaDbUserTargetFactory{url=" + (url == null ? null : url.split("\\?", 2)[0]) + ", user=" + user
                + ", password=" + getPassword() + "}";
    }
}
