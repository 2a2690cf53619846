package dev.rotakey.targets.vault;

import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.vault.VaultAuthFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * {@code vault-kv} targets on a {@link VaultTestServer} for the tests: the root token in a
 * private file, and a fresh path prefix per target so that tests sharing a server never meet.
 */
final class VaultKvTargets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private VaultKvTargets() {
    }

    /** A factory logging in with {@code server}'s root token, written to a file in {@code dir}. */
    static VaultKvTargetFactory factory(VaultTestServer server, Path dir, String pathPrefix) {
        VaultAuthFactory auth = new VaultAuthFactory();
        auth.setMethod(VaultAuthFactory.Method.TOKEN);
        auth.setToken(SecretSource.fromFile(tokenFile(server, dir).toString()));
        VaultKvTargetFactory factory = new VaultKvTargetFactory();
        factory.setAddress(server.address());
        factory.setAuth(auth);
        factory.setPathPrefix(pathPrefix);
        return factory;
    }

    /** A prefix no other test uses. */
    static String uniquePrefix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return "test-" + HexFormat.of().formatHex(bytes);
    }

    static DirectKv direct(VaultTestServer server) {
        return new DirectKv(server.address(), server.rootToken(), "secret");
    }

    private static Path tokenFile(VaultTestServer server, Path dir) {
        Path file = dir.resolve("vault-token");
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, server.rootToken());
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
