package dev.rotakey.vault;

import dev.rotakey.config.PositiveDurations;
import dev.rotakey.config.TlsFactory;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.config.SecretUnavailableException;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;

/**
 * How to reach and log in to one Vault server: {@code address}, optional {@code namespace},
 * {@code tls}, {@code auth} and timeouts. Shared by the {@code vault-transit} key backend and the
 * {@code vault-kv} target; {@link #open(String)} turns it into a {@link VaultSession}.
 */
@SelfValidating
public class VaultConnectionFactory {
    private String address;
    private String namespace;

    @Valid
    private TlsFactory tls = new TlsFactory();

    @Valid
    @NotNull
    private VaultAuthFactory auth;

    @NotNull
    private Duration connectTimeout = Duration.ofSeconds(5);

    @NotNull
    private Duration readTimeout = Duration.ofSeconds(30);

    @JsonProperty
    public String getAddress() {
        return address;
    }

    @JsonProperty
    public void setAddress(String address) {
        this.address = address;
    }

    @JsonProperty
    public String getNamespace() {
        return namespace;
    }

    @JsonProperty
    public void setNamespace(String namespace) {
        this.namespace = namespace;
    }

    @JsonProperty
    public TlsFactory getTls() {
        return tls;
    }

    @JsonProperty
    public void setTls(TlsFactory tls) {
        this.tls = tls == null ? new TlsFactory() : tls;
    }

    @JsonProperty
    public VaultAuthFactory getAuth() {
        return auth;
    }

    @JsonProperty
    public void setAuth(VaultAuthFactory auth) {
        this.auth = auth;
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
    public Duration getReadTimeout() {
        return readTimeout;
    }

    @JsonProperty
    public void setReadTimeout(Duration readTimeout) {
        this.readTimeout = readTimeout;
    }

    /** Per property, so the operator reads {@code keyBackends[vault].address must be …}. */
    @SelfValidation
    public void validateConnection(ViolationCollector violations) {
        if (address == null || address.isBlank()) {
            violations.addViolation("address", "must be set (e.g. https://vault.example.org:8200)");
        } else if (normalisedAddress(address) == null) {
            violations.addViolation("address", "must be an http:// or https:// URL with a host and no path, query or credentials");
        }
        PositiveDurations.check(violations, "connectTimeout", connectTimeout);
        PositiveDurations.check(violations, "readTimeout", readTimeout);
        if (namespace != null && (namespace.isBlank() || namespace.startsWith("/"))) {
            violations.addViolation("namespace", "must be a Vault namespace path such as team-a/agents (no leading '/')");
        }
        if (tls != null && !tls.isVerify() && tls.getCaFile() != null) {
            violations.addViolation("tls", "caFile is pointless with verify: false; drop one of them");
        }
    }

    /** The address without a trailing slash, or null when it is not a plain http(s) origin. */
    static String normalisedAddress(String address) {
        String a = address.trim();
        while (a.endsWith("/")) {
            a = a.substring(0, a.length() - 1);
        }
        try {
            URI uri = new URI(a);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null
                    || uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null
                    || (uri.getPath() != null && !uri.getPath().isEmpty())) {
                return null;
            }
            return a;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The normalised address ({@code https://vault:8200}, no trailing slash). */
    @JsonIgnore
    public String normalisedAddress() {
        return normalisedAddress(address);
    }

    /**
     * Builds a session with the system clock; see {@link #open(String, Clock)}.
     *
     * @param configKey where this connection sits in the config ({@code keyBackends.vault}), named in messages
     */
    public VaultSession open(String configKey) {
        return open(configKey, Clock.systemUTC());
    }

    /**
     * Reads the secrets now (the token, or checks the AppRole secret id is readable) and the TLS
     * files, so a missing file stops start-up with a message naming the key; does not contact
     * Vault: the session logs in on first use or {@link VaultSession#login()}.
     *
     * @throws SecretUnavailableException when a secret source cannot be read
     * @throws IllegalArgumentException   when a TLS file cannot be used (the message names the key)
     */
    public VaultSession open(String configKey, Clock clock) {
        String a = normalisedAddress();
        if (a == null) {
            throw new IllegalArgumentException(configKey + ".address: not an http(s) URL");
        }
        if (auth == null || auth.getMethod() == null) {
            throw new IllegalArgumentException(configKey + ".auth.method: must be token or approle");
        }
        VaultTransport transport = VaultTransport.create(a, namespace, tls, connectTimeout, readTimeout, configKey + ".tls");
        VaultCredentials credentials = VaultCredentials.from(auth, configKey + ".auth");
        return new VaultSession(transport, credentials, clock);
    }

    @Override
    public String toString() {
        return "VaultConnectionFactory{address=" + address + ", namespace=" + namespace + ", tls=" + tls
                + ", auth=" + auth + ", connectTimeout=" + connectTimeout + ", readTimeout=" + readTimeout + "}";
    }
}
