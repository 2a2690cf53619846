package dev.rotakey.backend;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * A {@link SecureRandom} whose bytes all come from a key backend's RNG, so that keys generated in
 * the JVM (exported leaf keys) are as random as the HSM or Vault makes them. Seeding is ignored:
 * the backend's generator seeds itself.
 */
public final class BackendSecureRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;

    public BackendSecureRandom(KeyBackend backend) {
        super(new Spi(backend), null);
    }

    private static final class Spi extends SecureRandomSpi {
        private static final long serialVersionUID = 1L;
        /** Backends cap one request; PKCS#11 tokens and Vault both accept this much. */
        private static final int MAX_REQUEST = 1024;
        private final transient KeyBackend backend;

        Spi(KeyBackend backend) {
            this.backend = backend;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            int done = 0;
            while (done < bytes.length) {
                int n = Math.min(MAX_REQUEST, bytes.length - done);
                byte[] chunk = backend.randomBytes(n);
                System.arraycopy(chunk, 0, bytes, done, n);
                java.util.Arrays.fill(chunk, (byte) 0);
                done += n;
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            return backend.randomBytes(numBytes);
        }
    }

    @Override
    public String toString() {
        return "BackendSecureRandom";
    }
}
