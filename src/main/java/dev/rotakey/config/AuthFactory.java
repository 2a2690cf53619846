package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/**
 * Operator authentication: where the bootstrap bearer token is kept (generated, mode 0600, on first start; only its
 * SHA-256 digest is stored in the database), and how guessing is locked out.
 */
public class AuthFactory {
    @NotEmpty
    private String adminTokenFile = "./data/admin-token";
    @Valid
    @NotNull
    private LockoutFactory lockout = new LockoutFactory();

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
