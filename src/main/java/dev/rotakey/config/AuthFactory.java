package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;

/**
 * Operator authentication: where the bootstrap bearer token is kept. It is generated (mode
 * 0600) on first start; only its SHA-256 digest is stored in the database.
 */
public class AuthFactory {
    @NotEmpty
    private String adminTokenFile = "./data/admin-token";

    @JsonProperty
    public String getAdminTokenFile() {
        return adminTokenFile;
    }

    @JsonProperty
    public void setAdminTokenFile(String adminTokenFile) {
        this.adminTokenFile = adminTokenFile;
    }
}
