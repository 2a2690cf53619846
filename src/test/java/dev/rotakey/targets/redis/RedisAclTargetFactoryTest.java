package dev.rotakey.targets.redis;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetFactory;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The redis-acl target's server keys as YAML: {@code host}, {@code nodes}, {@code sentinel}, {@code tls}. */
class RedisAclTargetFactoryTest {
    private final YamlConfigurationFactory<TargetFactory> yaml = new YamlConfigurationFactory<>(
            TargetFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private TargetFactory parse(String text) throws Exception {
        return yaml.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "target.yml");
    }

    @Test
    void nodesAndSentinelParse() throws Exception {
        RedisAclTargetFactory f = (RedisAclTargetFactory) parse("type: redis-acl\nnodes: [redis-1:6379, 'redis-2', '[::1]:6380']\n"
                + "sentinel:\n  masterName: main\n  nodes: [sentinel-1, 'sentinel-2:26380']\n  username: rotakey-sentinel\n"
                + "  password: {env: ROTAKEY_SENTINEL_PASSWORD}\n");
        assertThat(f.addresses()).containsExactly(new RedisAddress("redis-1", 6379), new RedisAddress("redis-2", 6379),
                new RedisAddress("::1", 6380));
        assertThat(f.getSentinel().addresses()).containsExactly(new RedisAddress("sentinel-1", 26379),
                new RedisAddress("sentinel-2", 26380));
        assertThat(f.getSentinel().getPassword().getEnv()).isEqualTo("ROTAKEY_SENTINEL_PASSWORD");
        assertThat(f.toString()).contains("masterName=main");
    }

    @Test
    void theEndpointIsTheFirstNodeAndTheLoginTheBindingsUser() throws Exception {
        RedisAclTargetFactory f = (RedisAclTargetFactory) parse("type: redis-acl\nnodes: ['redis-1:6390', redis-2]\n");
        try (Target t = f.build("redis-ha")) {
            TargetBinding b = new TargetBinding("redis-ha", Map.of("user", "billing-agent"));
            assertThat(t.endpoint(b)).isEqualTo(new Endpoint("redis", "redis-1", 6390, null, false));
            assertThat(t.login(b, "cred-1", new dev.rotakey.targets.VersionReferences(3, List.of("abcd1234"))))
                    .isEqualTo("billing-agent");
        }
    }

    @Test
    void serversAreNamedOneWayOnly() {
        assertThatThrownBy(() -> parse("type: redis-acl\n")).isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("host must be set, or else nodes (several servers) or sentinel");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: a\nnodes: [b]\n"))
                .hasMessageContaining("host cannot be combined with nodes");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: a\nsentinel: {masterName: m, nodes: [s]}\n"))
                .hasMessageContaining("host cannot be combined with sentinel");
        assertThatThrownBy(() -> parse("type: redis-acl\nnodes: ['a:1', 'redis://b:2']\n"))
                .hasMessageContaining("nodes must list host:port addresses");
        assertThatThrownBy(() -> parse("type: redis-acl\nsentinel: {nodes: [s]}\n")).hasMessageContaining("masterName");
        assertThatThrownBy(() -> parse("type: redis-acl\nsentinel: {masterName: m, nodes: []}\n"))
                .hasMessageContaining("sentinel.nodes");
        assertThatThrownBy(() -> parse("type: redis-acl\nhost: a\ntls: {clientCertificateFile: c.pem}\n"))
                .hasMessageContaining("clientKeyFile");
    }
}
