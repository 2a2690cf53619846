package dev.rotakey.targets.redis;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import dev.rotakey.targets.ServerLoginTargetFactory;
import dev.rotakey.targets.Target;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import javax.net.ssl.SSLContext;
import java.util.List;

/**
 * Configuration of a {@code redis-acl} target: which Redis servers hold the users (one {@code host}, several
 * {@code nodes}, and/or those a {@code sentinel} reports), how to reach them ({@code tls}), the administrative ACL user
 * Rotakey logs in as (its password from a {@link SecretSource}), and when to save the ACL file.
 */
@JsonTypeName("redis-acl")
@SelfValidating
public class RedisAclTargetFactory extends ServerLoginTargetFactory {
    static final int DEFAULT_PORT = 6379;

    private String host;
    @Min(1)
    @Max(65535)
    private int port = DEFAULT_PORT;
    private List<String> nodes;
    @Valid
    private RedisSentinelFactory sentinel;
    @Valid
    private TlsFactory tls;
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
    public List<String> getNodes() {
        return nodes;
    }

    @JsonProperty
    public void setNodes(List<String> nodes) {
        this.nodes = nodes;
    }

    @JsonProperty
    public RedisSentinelFactory getSentinel() {
        return sentinel;
    }

    @JsonProperty
    public void setSentinel(RedisSentinelFactory sentinel) {
        this.sentinel = sentinel;
    }

    @JsonProperty
    public TlsFactory getTls() {
        return tls;
    }

    @JsonProperty
    public void setTls(TlsFactory tls) {
        this.tls = tls;
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

    /** One way of naming the servers: {@code host} alone, or {@code nodes} and/or {@code sentinel}. */
    @SelfValidation
    public void validateServers(ViolationCollector violations) {
        boolean hasHost = host != null && !host.isBlank();
        boolean hasNodes = nodes != null && !nodes.isEmpty();
        if (!hasHost && !hasNodes && sentinel == null) {
            violations.addViolation("host", "must be set, or else nodes (several servers) or sentinel");
        } else if (hasHost && (hasNodes || sentinel != null)) {
            violations.addViolation("host", "cannot be combined with " + (hasNodes ? "nodes" : "sentinel")
                    + ": list every server under nodes");
        }
        if (hasHost) {
            checkAddresses(violations, "host", List.of(host + ":" + port), port);
        }
        if (nodes != null) {
            checkAddresses(violations, "nodes", nodes, DEFAULT_PORT);
        }
    }

    /** Adds a violation of {@code key} for each entry of {@code addresses} that is not {@code host[:port]}. */
    static void checkAddresses(ViolationCollector violations, String key, List<String> addresses, int defaultPort) {
        if (addresses == null) {
            return;
        }
        for (String address : addresses) {
            try {
                RedisAddress.parse(address, defaultPort);
            } catch (IllegalArgumentException e) {
                violations.addViolation(key, "must list host:port addresses: " + e.getMessage());
            }
        }
    }

    /** The configured servers, apart from those Sentinel reports. */
    List<RedisAddress> addresses() {
        if (host != null && !host.isBlank()) {
            return List.of(new RedisAddress(host.trim(), port));
        }
        return nodes == null ? List.of() : nodes.stream().map(n -> RedisAddress.parse(n, DEFAULT_PORT)).toList();
    }

    /** Reads the passwords and TLS files now, once, so that a missing one fails the start, not the first rotation. */
    @Override
    public Target build(String name) {
        String key = "targets[" + name + "]";
        SSLContext ssl = tls == null ? null : tls.sslContext(key + ".tls");
        RedisConnector connector = new RedisConnector(name, (int) getConnectTimeout().toMilliseconds(),
                (int) getCommandTimeout().toMilliseconds(), ssl);
        SentinelDiscovery discovery = sentinel == null ? null : new SentinelDiscovery(connector,
                sentinel.getMasterName(), sentinel.addresses(),
                new RedisLogin(sentinel.getUsername(), sentinel.readPassword(key + ".sentinel")));
        RedisLogin admin = new RedisLogin(username, readPassword(name));
        return new RedisAclTarget(name, new RedisTopology(connector, addresses(), discovery, admin, saveAclFile));
    }

    @Override
    public String toString() {
        return "RedisAclTargetFactory{host=" + host + ", port=" + port + ", nodes=" + nodes + ", sentinel=" + sentinel
                + ", tls=" + tls + ", username=" + username + ", password=" + getPassword() + ", saveAclFile="
                + saveAclFile + "}";
    }
}
