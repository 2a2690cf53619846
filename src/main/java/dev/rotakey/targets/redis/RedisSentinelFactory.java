package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.config.SecretSource;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;

import java.util.List;

/**
 * A redis-acl target's {@code sentinel:} block: the name Sentinel monitors the master under, the Sentinels to ask
 * ({@code host:port}, port 26379 by default), and the optional login Rotakey uses on them.
 */
@SelfValidating
public class RedisSentinelFactory {
    static final int DEFAULT_PORT = 26379;

    @NotBlank
    private String masterName;
    @NotEmpty
    private List<String> nodes;
    private String username;
    @Valid
    private SecretSource password;

    @JsonProperty
    public String getMasterName() {
        return masterName;
    }

    @JsonProperty
    public void setMasterName(String masterName) {
        this.masterName = masterName;
    }

    @JsonProperty
    public List<String> getNodes() {
        return nodes;
    }

    @JsonProperty
    public void setNodes(List<String> nodes) {
        this.nodes = nodes;
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

    @SelfValidation
    public void validateNodes(ViolationCollector violations) {
        RedisAclTargetFactory.checkAddresses(violations, "nodes", nodes, DEFAULT_PORT);
    }

    List<RedisAddress> addresses() {
        return nodes.stream().map(n -> RedisAddress.parse(n, DEFAULT_PORT)).toList();
    }

    /** Reads the Sentinel password now, once (null without one); the caller owns the array. */
    char[] readPassword(String key) {
        return password == null ? null : password.read(key + ".password");
    }

    @Override
    public String toString() {
        return "RedisSentinelFactory{masterName=" + masterName + ", nodes=" + nodes + ", username=" + username
                + ", password=" + password + "}";
    }
}
