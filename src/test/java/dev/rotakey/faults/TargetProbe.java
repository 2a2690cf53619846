package dev.rotakey.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.targets.mariadb.MariaDbProbe;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.targets.redis.RedisProbe;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Asks the real targets themselves, never through the fault proxies and never through Rotakey, whether a
 * secret works there: PostgreSQL by the SCRAM verifier in {@code pg_authid} of a role that may log in (the
 * test database trusts every password, so a login proves nothing), MariaDB by logging in with it (it always
 * checks passwords), Redis by {@code AUTH}, the delivered
 * files by their content, the Vault double's KV engine by every live version, the consumer by what it holds.
 */
final class TargetProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path delivered;
    private final String vaultAddress;
    private final String vaultRootToken;
    private final ConsumerHook hook;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Connection pg;

    TargetProbe(Path delivered, String vaultAddress, String vaultRootToken, ConsumerHook hook) {
        this.delivered = delivered;
        this.vaultAddress = vaultAddress;
        this.vaultRootToken = vaultRootToken;
        this.hook = hook;
    }

    /** Names a credential's objects at each target, from the sequence prefix and its index. */
    record Names(String credential, String path, String role, String redisUser, String mariaUser) {
        static Names of(String prefix, int c) {
            String underscored = ("fm_" + prefix + "_c" + c).replace('-', '_');
            return new Names(prefix + "-c" + c, prefix + "/c" + c, underscored, "fm-" + prefix + "-c" + c, underscored);
        }
    }

    /** Whether {@code secret} of version {@code version} works at (current = is served by) the binding now. */
    boolean works(CredentialKind kind, CredentialKind.Binding b, Names n, String secret) {
        try (var t = Timings.start("probe " + b)) {
            return worksAt(kind, b, n, secret);
        }
    }

    private boolean worksAt(CredentialKind kind, CredentialKind.Binding b, Names n, String secret) {
        return switch (b) {
            case FILES -> secret.strip().equals(readFile(kind, n));
            case KV -> secret.strip().equals(kvLatest(kind, n));
            case PG_SINGLE -> pgWorks(n.role(), secret);
            case PG_ALTERNATING -> pgWorks(n.role() + "_a", secret) || pgWorks(n.role() + "_b", secret);
            case REDIS -> RedisProbe.authenticates(n.redisUser(), secret);
            case MARIA_SINGLE -> MariaDbProbe.logsIn(n.mariaUser(), secret);
            case MARIA_ALTERNATING -> MariaDbProbe.logsIn(n.mariaUser() + "_a", secret)
                    || MariaDbProbe.logsIn(n.mariaUser() + "_b", secret);
        };
    }

    /** Whether any trace of {@code secret} is still usable at the binding (for a version that must be gone). */
    boolean stillHolds(CredentialKind kind, CredentialKind.Binding b, Names n, String secret) {
        if (b == CredentialKind.Binding.KV) {
            return kvLive(kind, n).contains(secret.strip());
        }
        return works(kind, b, n, secret);
    }

    boolean hookHolds(Names n, int version, String secret) {
        return hook.holds(n.credential(), version).map(h -> h.secret().equals(secret)).orElse(false);
    }

    private boolean pgWorks(String role, String secret) {
        return pgMayLogIn(role) && PostgresProbe.storedPasswordIs(role, secret);
    }

    /** Whether the role exists and may log in, asked on one reused session (a connection each cost ~10 ms). */
    private synchronized boolean pgMayLogIn(String role) {
        try {
            if (pg == null || !pg.isValid(2)) {
                pg = DriverManager.getConnection(PostgresProbe.URL, PostgresProbe.ADMIN, null);
            }
            try (PreparedStatement s = pg.prepareStatement("SELECT rolcanlogin FROM pg_roles WHERE rolname = ?")) {
                s.setString(1, role);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() && r.getBoolean(1);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL probe failed: " + e.getSQLState(), e);
        }
    }

    /** Ends the reused PostgreSQL session. */
    synchronized void close() {
        try {
            if (pg != null) {
                pg.close();
            }
        } catch (SQLException e) {
            // closing a probe session at the end of the run: nothing depends on it
        }
    }

    private String readFile(CredentialKind kind, Names n) {
        Path p = kind.certificate() ? delivered.resolve(n.path()).resolve("cert.pem") : delivered.resolve(n.path());
        try {
            return Files.isRegularFile(p) ? Files.readString(p, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p, e);
        }
    }

    private String kvLatest(CredentialKind kind, Names n) {
        JsonNode data = vault("/v1/secret/data/faults/" + n.path());
        return data == null ? null : field(kind, data.path("data").path("data"));
    }

    /** The secret of every KV version that is neither destroyed nor deleted. */
    private List<String> kvLive(CredentialKind kind, Names n) {
        List<String> out = new ArrayList<>();
        JsonNode meta = vault("/v1/secret/metadata/faults/" + n.path());
        if (meta == null) {
            return out;
        }
        Iterator<Map.Entry<String, JsonNode>> it = meta.path("data").path("versions").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> v = it.next();
            boolean deleted = !v.getValue().path("deletion_time").asText("").isEmpty();
            if (v.getValue().path("destroyed").asBoolean() || deleted) {
                continue;
            }
            JsonNode data = vault("/v1/secret/data/faults/" + n.path() + "?version=" + v.getKey());
            String s = data == null ? null : field(kind, data.path("data").path("data"));
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private static String field(CredentialKind kind, JsonNode data) {
        JsonNode f = data.get(kind.certificate() ? "certificate" : "key");
        return f == null ? null : f.asText().strip();
    }

    /** A GET with the root token; null on 404. */
    private JsonNode vault(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(vaultAddress + path))
                    .header("X-Vault-Token", vaultRootToken).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404) {
                return null;
            }
            if (r.statusCode() != 200) {
                throw new IllegalStateException("Vault double answered " + r.statusCode() + " to " + path);
            }
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("Vault double unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
