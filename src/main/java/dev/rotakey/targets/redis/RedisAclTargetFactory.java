package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.ServerLoginTargetFactory;
import dev.rotakey.targets.Target;
import io.dropwizard.util.Duration;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/**
 * Configuration of a {@code redis-acl} target: where the Redis server is, the administrative ACL
 * user Rotakey logs in as (its password from a {@link SecretSource}), and when to save the ACL file.
 */
@JsonTypeName("redis-acl")
public class RedisAclTargetFactory extends ServerLoginTargetFactory {
    @NotEmpty
    private String host;
    @Min(1)
    @Max(65535)
    private int port = 6379;
    private String username;
    @NotNull
    private RedisAclTarget.SaveAclFile saveAclFile = RedisAclTarget.SaveAclFile.AUTO;

    public RedisAclTargetFactory() {
        super(Duration.seconds(2), Duration.seconds(5));
    }

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
    public RedisAclTarget.SaveAclFile getSaveAclFile() {
        return saveAclFile;
    }

    @JsonProperty
    public void setSaveAclFile(RedisAclTarget.SaveAclFile saveAclFile) {
        this.saveAclFile = saveAclFile;
    }

    @Override
    public Target build(String name) {
        return new RedisAclTarget(name, host, port, username == null || username.isBlank() ? null : username,
                readPassword(name), (int) getConnectTimeout().toMilliseconds(), (int) getCommandTimeout().toMilliseconds(),
                saveAclFile);
    }

    @Override
    public String toString() {
        return "RedisAclTargetFactory{host=" + host + ", port=" + port + ", username=" + username + ", password="
                + getPassword() + ", saveAclFile=" + saveAclFile + "}";
    }
}
