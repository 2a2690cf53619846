package dev.rotakey.core;

import dev.rotakey.backend.KeyBackend;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Issues passwords: each character drawn uniformly from the alphabet with random bytes from the
 * backend's RNG, digested with the backend's HMAC key like an API key.
 */
public final class PasswordIssuer {

    /**
     * @param alphabet the policy's alphabet with every bound target's refused characters removed;
     *                 at least {@link PasswordPolicy#MIN_ALPHABET} distinct characters
     */
    public IssuedMaterial issue(KeyBackend backend, int length, String alphabet) {
        if (alphabet.length() < PasswordPolicy.MIN_ALPHABET || alphabet.length() > 256) {
            throw new IllegalArgumentException("an alphabet of " + alphabet.length() + " characters cannot be used");
        }
        char[] password = new char[length];
        Secret secret;
        try {
            fill(backend::randomBytes, password, alphabet);
            secret = Secret.of(new String(password));
        } finally {
            Arrays.fill(password, '\0');
        }
        byte[] utf8 = secret.utf8();
        try {
            return new IssuedMaterial(secret, MaterialDigests.digest(backend, utf8), backend.hmacKeyId());
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    /**
     * Rejection sampling: a byte is used only when it falls below the largest multiple of the
     * alphabet's size that fits in 256, so that {@code byte % size} favours no character.
     */
    static void fill(IntFunction<byte[]> randomBytes, char[] out, String alphabet) {
        int size = alphabet.length();
        int limit = 256 - (256 % size);
        int filled = 0;
        while (filled < out.length) {
            // Ask for a little more than needed: at worst (size 129) almost half the bytes are rejected.
            byte[] random = randomBytes.apply(Math.max(16, 2 * (out.length - filled)));
            try {
                for (int i = 0; i < random.length && filled < out.length; i++) {
                    int b = random[i] & 0xff;
                    if (b < limit) {
                        out[filled++] = alphabet.charAt(b % size);
                    }
                }
            } finally {
                Arrays.fill(random, (byte) 0);
            }
        }
    }
}
