package dev.rotakey.backend.vault;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.VaultTestServer;
import dev.rotakey.vault.VaultAuthFactory;
import dev.rotakey.vault.VaultConnectionFactory;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Shared pieces of the Vault tests: configs pointing at a {@link VaultTestServer}, and log capture. */
final class VaultFixtures {
    static final String ROLE_ID = "rotakey-role";
    static final String SECRET_ID = "s3cr3t-id-0f6b2c";

    private VaultFixtures() {
    }

    static VaultTransitKeyBackendFactory tokenConfig(String address, Path dir, String token) {
        VaultTransitKeyBackendFactory f = new VaultTransitKeyBackendFactory();
        f.setAddress(address);
        VaultAuthFactory auth = new VaultAuthFactory();
        auth.setMethod(VaultAuthFactory.Method.TOKEN);
        auth.setToken(SecretSource.fromFile(write(dir.resolve("vault-token"), token).toString()));
        f.setAuth(auth);
        return f;
    }

    static VaultTransitKeyBackendFactory appRoleConfig(String address, Path dir) {
        VaultTransitKeyBackendFactory f = new VaultTransitKeyBackendFactory();
        f.setAddress(address);
        VaultAuthFactory auth = new VaultAuthFactory();
        auth.setMethod(VaultAuthFactory.Method.APPROLE);
        auth.setRoleId(ROLE_ID);
        auth.setSecretId(SecretSource.fromFile(write(dir.resolve("vault-secret-id"), SECRET_ID + "\n").toString()));
        f.setAuth(auth);
        return f;
    }

    static <T extends VaultConnectionFactory> T withTimeouts(T f) {
        f.setConnectTimeout(Duration.ofSeconds(2));
        f.setReadTimeout(Duration.ofSeconds(5));
        return f;
    }

    static Path write(Path file, String content) {
        try {
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every log line of {@code dev.rotakey} at any level, with stack traces, while open. */
    static final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
        private final Logger logger = (Logger) LoggerFactory.getLogger("dev.rotakey");
        private final Level previous;
        private final List<String> lines = new ArrayList<>();

        CapturedLogs() {
            previous = logger.getLevel();
            logger.setLevel(Level.ALL);
            setContext(logger.getLoggerContext());
            start();
            logger.addAppender(this);
        }

        @Override
        protected synchronized void append(ILoggingEvent e) {
            String line = e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage();
            if (e.getThrowableProxy() != null) {
                line += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
            }
            lines.add(line);
        }

        synchronized String text() {
            return String.join("\n", lines);
        }

        @Override
        public void close() {
            logger.detachAppender(this);
            logger.setLevel(previous);
            stop();
        }
    }
}
