package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

/**
 * Operator authentication: where the bootstrap bearer token is kept (generated, mode 0600, on first start; only its
 * SHA-256 digest is stored in the database), and the cache of authenticated tokens.
 */
public class AuthFactory {
    @NotEmpty
    private String adminTokenFile = "./data/admin-token";

    @Valid
    @NotNull
    private TokenCacheFactory tokenCache = new TokenCacheFactory();

    @JsonProperty
    public TokenCacheFactory getTokenCache() {
        return tokenCache;
    }

    @JsonProperty
    public void setTokenCache(TokenCacheFactory tokenCache) {
        this.tokenCache = tokenCache;
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
