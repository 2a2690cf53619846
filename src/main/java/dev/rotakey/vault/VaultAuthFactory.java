package dev.rotakey.vault;


import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.rotakey.config.SecretSource;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.Locale;

/**
 * How Rotakey authenticates to Vault: {@code method: token} with a {@code token} secret source, or
 * {@code method: approle} with a {@code roleId}, a {@code secretId} secret source and the AppRole
 * {@code mount} (default {@code approle}).
 */
@SelfValidating
public class VaultAuthFactory {
    /** The two supported methods. */
    public enum Method {
        TOKEN, APPROLE;

        @JsonCreator
        static Method parse(String value) {
            return value == null ? null : Method.valueOf(value.trim().toUpperCase(Locale.ROOT));
        }

        @JsonValue
        String value() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @NotNull
    private Method method;

    @Valid
    private SecretSource token;

    private String roleId;

    @Valid
    private SecretSource secretId;

    @NotNull
    @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*", message = "must be a Vault mount path without leading or trailing '/'")
    private String mount = "approle";

    @JsonProperty
    public Method getMethod() {
        return method;
    }

    @JsonProperty
    public void setMethod(Method method) {
        this.method = method;
    }

    @JsonProperty
    public SecretSource getToken() {
        return token;
    }

    @JsonProperty
    public void setToken(SecretSource token) {
        this.token = token;
    }

    @JsonProperty
    public String getRoleId() {
        return roleId;
    }

    @JsonProperty
    public void setRoleId(String roleId) {
        this.roleId = roleId;
    }

    @JsonProperty
    public SecretSource getSecretId() {
        return secretId;
    }

    @JsonProperty
    public void setSecretId(SecretSource secretId) {
        this.secretId = secretId;
    }

    @JsonProperty
    public String getMount() {
        return mount;
    }

    @JsonProperty
    public void setMount(String mount) {
        this.mount = mount;
    }

    /** Reported per property, so the message reads {@code keyBackends[vault].auth.token must be set for method: token}. */
    @SelfValidation
    public void validateMethodFields(ViolationCollector violations) {
        if (method == Method.TOKEN) {
            if (token == null) {
                violations.addViolation("token", "must be set for method: token");
            }
            if (secretId != null || roleId != null) {
                violations.addViolation(secretId != null ? "secretId" : "roleId", "is only used with method: approle");
            }
        } else if (method == Method.APPROLE) {
            if (roleId == null || roleId.isBlank()) {
                violations.addViolation("roleId", "must be set for method: approle");
            }
            if (secretId == null) {
                violations.addViolation("secretId", "must be set for method: approle");
            }
            if (token != null) {
                violations.addViolation("token", "is only used with method: token");
            }
        }
    }

    @Override
    public String toString() {
        // The role id is not a secret on its own, but there is no need to spread it: only whether it is set.
        return "VaultAuthFactory{method=" + method + ", token=" + token + ", roleId=" + (roleId == null ? "unset" : "set")
                + ", secretId=" + secretId + ", mount=" + mount + "}";
    }
}
