package dev.rotakey.auth;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Operator bearer tokens: checks presented tokens against their stored SHA-256 digests, and
 * creates the bootstrap admin token file (mode 0600) on first start.
 */
public final class OperatorTokens {
    public static final String ADMIN = "admin";
    /** May only call {@code POST /api/v1/api-keys/verify}: what consuming services get. */
    public static final String VERIFIER = "verifier";
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Logger LOG = LoggerFactory.getLogger(OperatorTokens.class);
    private static final String PREFIX = "rkt_";

    private final Store store;
    private final AuditLog audit;
    private final Clock clock;

    public OperatorTokens(Store store, AuditLog audit, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
    }

    public Optional<Operator> authenticate(String token) {
        if (token == null || token.isBlank() || token.length() > 512) {
            return Optional.empty();
        }
        String digest = digest(token);
        return store.read(d -> d.tokens().findActive(digest)).map(t -> new Operator(t.name(), t.role()));
    }

    /**
     * Makes sure the bootstrap admin token exists: creates {@code file} with a new random token
     * on first start, and (re-)registers the digest of whatever token the file holds.
     */
    public void ensureAdminToken(Path file) throws IOException {
        String token;
        boolean created = false;
        if (Files.exists(file)) {
            token = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) {
                throw new IOException("admin token file " + file + " is empty; delete it to have a new token generated");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                LOG.warn("admin token file {} is readable by others ({}); it should be 0600", file,
                        PosixFilePermissions.toString(perms));
            }
        } else {
            token = newToken();
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (FileAlreadyExistsException e) {
                throw new IOException("admin token file " + file + " appeared while Rotakey was creating it", e);
            }
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
            created = true;
        }
        String digest = digest(token);
        boolean known = store.read(d -> d.tokens().findActive(digest)).isPresent();
        if (!known) {
            boolean fresh = created;
            store.txRun(tx -> {
                tx.tokens().upsert(ADMIN, digest, ADMIN, clock.instant());
                audit.record(tx, "rotakey", AuditAction.TOKEN_CREATED, "token:" + ADMIN, "ok",
                        fresh ? "bootstrap token generated into " + file : "bootstrap token registered from " + file);
            });
        }
        if (created) {
            LOG.info("generated the operator token into {} (mode 0600)", file);
        }
    }

    /**
     * Issues a new token; the plaintext is returned once and only its digest is stored.
     *
     * @throws RejectedException for a bad name or role, or a name already in use
     */
    public String issue(String name, String role, String actor) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw RejectedException.invalid("name", "must be 1-64 lower-case letters, digits, '.', '_' or '-'");
        }
        if (!ADMIN.equals(role) && !VERIFIER.equals(role)) {
            throw RejectedException.invalid("role", "must be 'admin' or 'verifier'");
        }
        String token = newToken();
        String digest = digest(token);
        store.txRun(tx -> {
            if (tx.tokens().exists(name)) {
                throw RejectedException.conflict("a token named '" + name + "' exists; revoke it first");
            }
            tx.tokens().upsert(name, digest, role, clock.instant());
            audit.record(tx, actor, AuditAction.TOKEN_CREATED, "token:" + name, "ok", "role=" + role);
        });
        return token;
    }

    /** Revokes the named token at once. */
    public void revoke(String name, String actor) {
        store.txRun(tx -> {
            if (!tx.tokens().revoke(name, clock.instant())) {
                throw RejectedException.notFound("token", name);
            }
            audit.record(tx, actor, AuditAction.TOKEN_REVOKED, "token:" + name, "ok", null);
        });
    }

    private static String newToken() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
