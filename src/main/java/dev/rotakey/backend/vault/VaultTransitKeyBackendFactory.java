package dev.rotakey.backend.vault;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.vault.VaultConnectionFactory;
import dev.rotakey.vault.VaultSession;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Clock;

/**
 * Configuration of a {@code type: vault-transit} key backend: the Vault connection (address, TLS,
 * auth, timeouts) plus the transit {@code mount} (default {@code transit}) and the name of the
 * HMAC key Rotakey keeps there ({@code hmacKey}, default {@code rotakey-hmac}).
 */
@JsonTypeName("vault-transit")
@SelfValidating
public class VaultTransitKeyBackendFactory extends VaultConnectionFactory implements KeyBackendFactory {
    public static final String DEFAULT_MOUNT = "transit";
    public static final String DEFAULT_HMAC_KEY = "rotakey-hmac";

    @NotNull
    @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*",
            message = "must be a Vault mount path without leading or trailing '/'")
    private String mount = DEFAULT_MOUNT;

    @NotNull
    @Pattern(regexp = VaultTransitKeyBackend.KEY_NAME, message = "must be 1 to 200 letters, digits, '_', '.' or '-', starting with a letter or digit")
    private String hmacKey = DEFAULT_HMAC_KEY;

    @JsonProperty
    public String getMount() {
        return mount;
    }

    @JsonProperty
    public void setMount(String mount) {
        this.mount = mount;
    }

    @JsonProperty
    public String getHmacKey() {
        return hmacKey;
    }

    @JsonProperty
    public void setHmacKey(String hmacKey) {
        this.hmacKey = hmacKey;
    }

    /**
     * Reads the token or AppRole secret id and the TLS files now, so a missing file stops start-up
     * naming {@code keyBackends.<name>.…}; the backend contacts Vault in {@link KeyBackend#start()}.
     */
    @Override
    public KeyBackend build(String name) {
        return build(name, Clock.systemUTC());
    }

    /** {@link #build(String)} with the clock that drives token renewal (tests move it). */
    public VaultTransitKeyBackend build(String name, Clock clock) {
        VaultSession session = open("keyBackends." + name, clock);
        return new VaultTransitKeyBackend(name, session, mount, hmacKey, clock);
    }

    @Override
    public String toString() {
        return "VaultTransitKeyBackendFactory{" + super.toString() + ", mount=" + mount + ", hmacKey=" + hmacKey + "}";
    }
}
