package dev.rotakey.targets.vault;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.vault.VaultConnectionFactory;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * Configuration of a {@code vault-kv} target: the Vault connection (address, namespace, tls,
 * auth, timeouts, as for the {@code vault-transit} backend), the KV v2 {@code mount} and an
 * optional {@code pathPrefix} put before every binding's path.
 */
@JsonTypeName("vault-kv")
@SelfValidating
public class VaultKvTargetFactory extends VaultConnectionFactory implements TargetFactory {
    @NotNull
    private String mount = "secret";

    private String pathPrefix;

    // Declared here rather than inherited from AbstractTargetFactory: this class already extends the connection settings.
    @Valid
    private TargetLimitsFactory limits;

    @JsonProperty
    public TargetLimitsFactory getLimits() {
        return limits;
    }

    @JsonProperty
    public void setLimits(TargetLimitsFactory limits) {
        this.limits = limits;
    }

    @Override
    public TargetLimitsFactory limits() {
        return limits;
    }

    @JsonProperty
    public String getMount() {
        return mount;
    }

    @JsonProperty
    public void setMount(String mount) {
        this.mount = mount;
    }

    @JsonProperty
    public String getPathPrefix() {
        return pathPrefix;
    }

    @JsonProperty
    public void setPathPrefix(String pathPrefix) {
        this.pathPrefix = pathPrefix;
    }

    /** Mount and prefix follow the rules of a binding's path, so every KV path built from them is valid. */
    @SelfValidation
    public void validatePaths(ViolationCollector violations) {
        check(violations, "mount", mount);
        if (pathPrefix != null) {
            check(violations, "pathPrefix", pathPrefix);
        }
    }

    private static void check(ViolationCollector violations, String property, String value) {
        if (value == null) {
            return;
        }
        try {
            VaultKvTarget.checkPath(property, value);
        } catch (InvalidBindingException e) {
            violations.addViolation(property, e.getMessage().substring(property.length() + 1));
        }
    }

    /** Reads the Vault secrets now; Vault itself is contacted on the first operation. */
    @Override
    public Target build(String name) {
        return new VaultKvTarget(name, mount, pathPrefix, new SessionKvStore(name, mount, open("targets." + name)));
    }

    @Override
    public String toString() {
        return "VaultKvTargetFactory{mount=" + mount + ", pathPrefix=" + pathPrefix + ", connection=" + super.toString() + "}";
    }
}
