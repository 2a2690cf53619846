package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeySpec;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;
import java.util.List;

/**
 * How the audit chain's head is signed: with the key {@code key} (of {@code keySpec}, created on first use) held in
 * the key backend {@code backend} (the first one configured when unset), every {@code every} and at each stop. Only
 * checkpoints signed by this key, or by one of {@code previousKeys} (after a change of key), are trusted.
 */
public class AuditCheckpointsFactory {
    private String backend;
    @NotNull
    @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
    private String key = "rotakey-audit-checkpoints";
    @NotNull
    private KeySpec keySpec = KeySpec.EC_P256;
    @NotNull
    private Duration every = Duration.ofMinutes(1);
    @NotNull
    private List<String> previousKeys = List.of();

    @JsonProperty
    public String getBackend() {
        return backend;
    }

    @JsonProperty
    public void setBackend(String backend) {
        this.backend = backend;
    }

    @JsonProperty
    public String getKey() {
        return key;
    }

    @JsonProperty
    public void setKey(String key) {
        this.key = key;
    }

    @JsonProperty
    public KeySpec getKeySpec() {
        return keySpec;
    }

    @JsonProperty
    public void setKeySpec(KeySpec keySpec) {
        this.keySpec = keySpec;
    }

    @JsonProperty
    public Duration getEvery() {
        return every;
    }

    @JsonProperty
    public void setEvery(Duration every) {
        this.every = every;
    }

    @JsonProperty
    public List<String> getPreviousKeys() {
        return previousKeys;
    }

    @JsonProperty
    public void setPreviousKeys(List<String> previousKeys) {
        this.previousKeys = previousKeys;
    }
}
