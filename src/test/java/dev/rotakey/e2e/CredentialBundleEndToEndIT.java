package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.targets.mariadb.MariaDbProbe;
import dev.rotakey.targets.postgres.PostgresProbe;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Consumers of alternating database passwords that know nothing but the bundle file Rotakey delivers: a PostgreSQL and
 * a MariaDB consumer re-read their JSON bundle before each login and log in with its user name, password, host, port
 * and database, over and over, while each credential is rotated twice (the login role changes from {@code _a} to
 * {@code _b} and back). Not one login fails; a connection URI delivered beside the JSON logs in too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialBundleEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private RunningDaemon daemon;
    private final String suffix = UUID.randomUUID().toString().substring(0, 6);
    private final PostgresProbe postgres = new PostgresProbe();
    private final String pgRole = postgres.newRole("bundle_pg_");
    private final String mariaUser = "bundle_my_" + suffix;

    @BeforeAll
    void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000",
                SoftHsmTokens.APP, RunningDaemon.uniqueName("bundles"),
                ConfigOverride.config("targets.pg-main.type", "postgres-role"),
                ConfigOverride.config("targets.pg-main.url", PostgresProbe.URL),
                ConfigOverride.config("targets.pg-main.user", PostgresProbe.ADMIN),
                ConfigOverride.config("targets.maria.type", "mariadb-user"),
                ConfigOverride.config("targets.maria.url", MariaDbProbe.URL),
                ConfigOverride.config("targets.maria.user", MariaDbProbe.ADMIN));
        assertThat(daemon.post("/api/v1/agents", "{\"id\":\"bundle-agent\",\"owner\":\"data-team@example.com\"}").status())
                .isEqualTo(201);
    }

    @AfterAll
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        postgres.close();
        MariaDbProbe.dropAllStartingWith(mariaUser);
    }

    private void create(String id, String binding, String... files) {
        StringBuilder targets = new StringBuilder(binding);
        for (String f : files) {
            targets.append(",").append(f);
        }
        RunningDaemon.Answer a = daemon.post("/api/v1/credentials", "{\"id\":\"" + id + "\",\"agent\":\"bundle-agent\","
                + "\"type\":\"password\",\"backend\":\"hsm\",\"rotation\":{\"every\":\"P7D\"},\"gracePeriod\":\"PT2S\","
                + "\"targets\":[" + targets + "]}");
        assertThat(a.status()).as(a.body()).isEqualTo(201);
    }

    private String state(String id, int version) {
        for (JsonNode v : daemon.get("/api/v1/credentials/" + id).json().get("versions")) {
            if (v.get("version").asInt() == version) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    /** Logs in with what the bundle says, as a consumer would; answers the server's idea of the current user. */
    private static String logIn(JsonNode bundle) throws SQLException {
        String engine = bundle.get("engine").asText();
        String url = "postgresql".equals(engine)
                ? "jdbc:postgresql://" + bundle.get("host").asText() + ":" + bundle.get("port").asInt() + "/"
                        + bundle.get("dbname").asText()
                // The account's privileges are the test's least concern: it connects without a database.
                : "jdbc:mariadb://" + bundle.get("host").asText() + ":" + bundle.get("port").asInt() + "/";
        Properties p = new Properties();
        p.setProperty("user", bundle.get("username").asText());
        p.setProperty("password", bundle.get("password").asText());
        try (Connection c = DriverManager.getConnection(url, p);
             ResultSet rs = c.createStatement().executeQuery("postgresql".equals(engine) ? "SELECT current_user"
                     : "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")) {
            rs.next();
            String user = rs.getString(1);
            if ("postgresql".equals(engine) && !PostgresProbe.storedPasswordIs(user, bundle.get("password").asText())) {
                // This server trusts local logins: the stored verifier is what proves the password.
                throw new SQLException("the password of " + user + " is not the bundle's");
            }
            return user;
        }
    }

    @Test
    void consumersLogInWithTheirBundleThroughTwoRotationsWithoutOneFailure() throws Exception {
        create("pg-bundle", "{\"target\":\"pg-main\",\"role\":\"" + pgRole + "\",\"strategy\":\"alternating\"}",
                "{\"target\":\"local-files\",\"path\":\"bundle/pg.json\",\"format\":\"json\"}",
                "{\"target\":\"local-files\",\"path\":\"bundle/pg.uri\",\"format\":\"uri\"}");
        create("maria-bundle", "{\"target\":\"maria\",\"user\":\"" + mariaUser + "\",\"strategy\":\"alternating\"}",
                "{\"target\":\"local-files\",\"path\":\"bundle/maria.json\",\"format\":\"json\"}");
        Path pgFile = daemon.dataDir().resolve("delivered/bundle/pg.json");
        Path mariaFile = daemon.dataDir().resolve("delivered/bundle/maria.json");
        JsonNode pg = JSON.readTree(Files.readString(pgFile));
        assertThat(pg.get("username").asText()).isEqualTo(pgRole + "_a");
        assertThat(pg.get("dbname").asText()).isEqualTo("test");
        assertThat(logIn(pg)).isEqualTo(pgRole + "_a");
        assertThat(Files.readString(daemon.dataDir().resolve("delivered/bundle/pg.uri")))
                .startsWith("postgresql://" + pgRole + "_a:").contains("@127.0.0.1:5432/test");
        JsonNode maria = JSON.readTree(Files.readString(mariaFile));
        assertThat(maria.get("engine").asText()).isEqualTo("mariadb");
        assertThat(logIn(maria)).isEqualTo(mariaUser + "_a");

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger logins = new AtomicInteger();
        CopyOnWriteArrayList<String> failures = new CopyOnWriteArrayList<>();
        Set<String> users = ConcurrentHashMap.newKeySet();
        Thread consumer = new Thread(() -> {
            while (running.get()) {
                for (Path file : new Path[] {pgFile, mariaFile}) {
                    try {
                        users.add(logIn(JSON.readTree(Files.readString(file))));
                        logins.incrementAndGet();
                    } catch (Exception e) {
                        failures.add(file.getFileName() + ": " + e.getMessage());
                    }
                }
            }
        }, "bundle-consumer");
        consumer.start();
        try {
            for (int version = 2; version <= 3; version++) {
                int v = version;
                for (String id : new String[] {"pg-bundle", "maria-bundle"}) {
                    assertThat(daemon.task("/tasks/rotate?credential=" + id).status()).isEqualTo(200);
                }
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(state("pg-bundle", v)).isEqualTo("CURRENT");
                    assertThat(state("maria-bundle", v)).isEqualTo("CURRENT");
                });
                // The previous version's grace ends and it is revoked (its role locked) while the consumer goes on.
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(state("pg-bundle", v - 1)).isEqualTo("REVOKED");
                    assertThat(state("maria-bundle", v - 1)).isEqualTo("REVOKED");
                });
            }
            int before = logins.get();
            await().atMost(Duration.ofSeconds(20)).until(() -> logins.get() > before + 4);
        } finally {
            running.set(false);
            consumer.join(30_000);
        }
        assertThat(failures).as("failed logins").isEmpty();
        assertThat(users).contains(pgRole + "_a", pgRole + "_b", mariaUser + "_a", mariaUser + "_b");
        // After the rotations, version 3 is on _a again, and the version 2 role no longer logs in.
        JsonNode last = JSON.readTree(Files.readString(pgFile));
        assertThat(last.get("version").asInt()).isEqualTo(3);
        assertThat(last.get("username").asText()).isEqualTo(pgRole + "_a");
        assertThat(PostgresProbe.canLogin(pgRole + "_b")).isFalse();
        assertThat(MariaDbProbe.isLocked(mariaUser + "_b", "%")).isTrue();
    }
}
