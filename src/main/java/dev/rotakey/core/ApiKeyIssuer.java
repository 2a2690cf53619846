package dev.rotakey.core;

import dev.rotakey.backend.KeyBackend;

import java.util.Arrays;

/**
 * Issues API keys: 256 random bits from the backend's RNG in the scanner-friendly
 * {@link ApiKeyFormat}, digested with the backend's HMAC key.
 */
public final class ApiKeyIssuer {
    public static final int RANDOM_BYTES = 32;

    public IssuedMaterial issue(KeyBackend backend) {
        byte[] random = backend.randomBytes(RANDOM_BYTES);
        Secret key;
        try {
            key = Secret.of(ApiKeyFormat.format(random));
        } finally {
            Arrays.fill(random, (byte) 0);
        }
        byte[] utf8 = key.utf8();
        try {
            return new IssuedMaterial(key, MaterialDigests.digest(backend, utf8), backend.hmacKeyId());
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }
}
