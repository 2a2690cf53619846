package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.AbstractTargetFactory;
import dev.rotakey.targets.Target;
import io.dropwizard.util.Duration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/**
 * Configuration of a {@code redis-acl} target: where the Redis server is, the administrative ACL
 * user Rotakey logs in as (its password from a {@link SecretSource}), and when to save the ACL file.
 */
@JsonTypeName("redis-acl")
public class RedisAclTargetFactory extends AbstractTargetFactory {
    @NotEmpty
    private String host;
    @Min(1)
    @Max(65535)
    private int port = 6379;
    private String username;
    @Valid
    private SecretSource password;
    @NotNull
    private Duration connectTimeout = Duration.seconds(2);
    @NotNull
    private Duration commandTimeout = Duration.seconds(5);
    @NotNull
    private RedisAclTarget.SaveAclFile saveAclFile = RedisAclTarget.SaveAclFile.AUTO;

    @JsonProperty
    public String getHost() {
        return host;
    }

    @JsonProperty
    public void setHost(String host) {
        this.host = host;
    }

    @JsonProperty
    public int getPort() {
        return port;
    }

    @JsonProperty
    public void setPort(int port) {
        this.port = port;
    }

    @JsonProperty
    public String getUsername() {
        return username;
    }

    @JsonProperty
    public void setUsername(String username) {
        this.username = username;
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

    @JsonProperty
    public RedisAclTarget.SaveAclFile getSaveAclFile() {
        return saveAclFile;
    }

    @JsonProperty
    public void setSaveAclFile(RedisAclTarget.SaveAclFile saveAclFile) {
        this.saveAclFile = saveAclFile;
    }

    /** Reads the admin password now, once: a missing secret fails the start, not the first rotation. */
    @Override
    public Target build(String name) {
        char[] secret = password == null ? null : password.read("targets[" + name + "].password");
        return new RedisAclTarget(name, host, port, username == null || username.isBlank() ? null : username, secret,
                (int) connectTimeout.toMilliseconds(), (int) commandTimeout.toMilliseconds(), saveAclFile);
    }

    @Override
    public String toString() {
        return "RedisAclTargetFactory{host=" + host + ", port=" + port + ", username=" + username + ", password="
                + password + ", saveAclFile=" + saveAclFile + "}";
    }
}
