package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/**
 * Operator authentication: where the bootstrap bearer token is kept (generated, mode 0600, on first start; only its
 * SHA-256 digest is stored in the database), how guessing is locked out, and mutual TLS on the API port.
 */
public class AuthFactory {
    @NotEmpty
    private String adminTokenFile = "./data/admin-token";
    @Valid
    @NotNull
    private LockoutFactory lockout = new LockoutFactory();
    @Valid
    @NotNull
    private MtlsFactory mtls = new MtlsFactory();

    @JsonProperty
    public MtlsFactory getMtls() {
        return mtls;
    }

    @JsonProperty
    public void setMtls(MtlsFactory mtls) {
        this.mtls = mtls;
    }

    @JsonProperty
    public LockoutFactory getLockout() {
        return lockout;
    }

    @JsonProperty
    public void setLockout(LockoutFactory lockout) {
        this.lockout = lockout;
    }

    @JsonProperty
    public String getAdminTokenFile() {
        return adminTokenFile;
    }

    @JsonProperty
    public void setAdminTokenFile(String adminTokenFile) {
        this.adminTokenFile = adminTokenFile;
    }
}
