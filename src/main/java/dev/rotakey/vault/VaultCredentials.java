package dev.rotakey.vault;

import dev.rotakey.config.SecretSource;

/**
 * What the session logs in with: a static token read once at start-up, or an AppRole whose
 * secret id is read again at each login (so a secret id replaced on disk is picked up).
 */
sealed interface VaultCredentials {

    /** A token given in the config; never printed. */
    final class StaticToken implements VaultCredentials {
        private final String token;

        StaticToken(String token) {
            this.token = token;
        }

        String token() {
            return token;
        }

        @Override
        public String toString() {
            return "StaticToken{token=<redacted>}";
        }
    }

    /** An AppRole login at {@code auth/<mount>/login}. */
    final class AppRole implements VaultCredentials {
        private final String mount;
        private final String roleId;
        private final SecretSource secretId;
        private final String secretIdKey;
        private char[] pendingSecretId;

        AppRole(String mount, String roleId, SecretSource secretId, String secretIdKey, char[] first) {
            this.mount = mount;
            this.roleId = roleId;
            this.secretId = secretId;
            this.secretIdKey = secretIdKey;
            this.pendingSecretId = first;
        }

        String loginPath() {
            return "auth/" + mount + "/login";
        }

        String roleId() {
            return roleId;
        }

        /** The secret id read at start-up for the first login, a fresh read of its source afterwards. */
        synchronized char[] takeSecretId() {
            char[] s = pendingSecretId;
            pendingSecretId = null;
            return s != null ? s : secretId.read(secretIdKey);
        }

        @Override
        public String toString() {
            return "AppRole{mount=" + mount + ", secretId=" + secretId + "}";
        }
    }

    static VaultCredentials from(VaultAuthFactory auth, String key) {
        if (auth.getMethod() == VaultAuthFactory.Method.TOKEN) {
            char[] token = auth.getToken().read(key + ".token");
            try {
                return new StaticToken(new String(token));
            } finally {
                java.util.Arrays.fill(token, '\0');
            }
        }
        String secretKey = key + ".secretId";
        return new AppRole(auth.getMount(), auth.getRoleId(), auth.getSecretId(), secretKey,
                auth.getSecretId().read(secretKey));
    }
}
