package dev.rotakey.auth;

import dev.rotakey.StartupException;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * The bootstrap admin token: generated into {@code auth.adminTokenFile} (mode 0600) on the first start of a
 * single node or of a whole cluster, and never replaced by another node's start. Each start logs where this node's
 * admin token came from. The caller serialises the starts of a cluster's nodes (the cluster's start-up lock).
 */
public final class BootstrapToken {
    private static final Logger LOG = LoggerFactory.getLogger(BootstrapToken.class);

    private final Store store;
    private final AuditLog audit;
    private final Clock clock;
    private final boolean clustered;
    private final NotifiedCache<String, Operator> cache;

    /**
     * @param clustered whether this node is one of a cluster: then a token file that differs from the cluster's
     *                  admin token is not registered, and a missing one is not re-created
     * @param cache     told when the admin token is replaced
     */
    public BootstrapToken(Store store, AuditLog audit, Clock clock, boolean clustered,
                          NotifiedCache<String, Operator> cache) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.clustered = clustered;
        this.cache = cache;
    }

    /**
     * {@link #ensure} as a step of the daemon's start: a file that cannot be read or written stops the start, naming
     * {@code auth.adminTokenFile}.
     */
    public Managed atStart(Path file) {
        return new Managed() {
            @Override
            public void start() {
                try {
                    ensure(file);
                } catch (IOException e) {
                    throw new StartupException("auth.adminTokenFile: " + e.getMessage(), e);
                }
            }
        };
    }

    /** Makes sure the admin token exists, once, and says in the log where it came from. */
    public void ensure(Path file) throws IOException {
        Optional<Instant> existing = store.read(d -> d.tokens().activeSince(OperatorTokens.ADMIN));
        if (!Files.exists(file)) {
            if (existing.isPresent() && clustered) {
                LOG.info("no admin token file {}: this node uses the cluster's admin token, created {} (the file on "
                        + "the node that started first; operators issue further tokens with POST /tasks/issue-token)",
                        file, existing.get());
                return;
            }
            String token = OperatorTokens.newToken();
            create(file, token);
            register(token, existing.isPresent() ? "admin token replaced: generated into " + file + ", which was missing"
                    : "bootstrap token generated into " + file);
            LOG.info("generated the admin token into {} (mode 0600){}", file,
                    existing.isPresent() ? "; it replaces the earlier admin token, whose file was missing" : "");
            return;
        }
        String token = read(file);
        String digest = OperatorTokens.digest(token);
        if (store.read(d -> d.tokens().findActive(digest, clock.instant())).isPresent()) {
            LOG.info("admin token: the one in {}", file);
            return;
        }
        if (existing.isPresent() && clustered) {
            LOG.warn("{} holds a token this cluster does not know: it was not registered, so as not to lock out the "
                    + "operators of the other nodes. The cluster's admin token was created {}; put that token in {} "
                    + "or delete the file", file, existing.get(), file);
            return;
        }
        register(token, "bootstrap token registered from " + file);
        LOG.info("admin token: registered the one in {}", file);
    }

    private void register(String token, String detail) {
        String digest = OperatorTokens.digest(token);
        try {
            store.txRun(tx -> {
                tx.tokens().upsert(OperatorTokens.ADMIN, digest, OperatorTokens.ADMIN, clock.instant());
                audit.record(tx, "rotakey", AuditAction.TOKEN_CREATED, "token:" + OperatorTokens.ADMIN, "ok", detail);
            });
        } finally {
            // The earlier admin token, if any, is no longer valid.
            cache.invalidateAll();
        }
    }

    private static String read(Path file) throws IOException {
        String token = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new IOException("admin token file " + file + " is empty; delete it to have a new token generated");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
            LOG.warn("admin token file {} is readable by others ({}); it should be 0600", file,
                    PosixFilePermissions.toString(perms));
        }
        return token;
    }

    private static void create(Path file, String token) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new IOException("admin token file " + file + " appeared while Rotakey was creating it", e);
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    }
}
