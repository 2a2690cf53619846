package dev.rotakey.ops;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code scripts/cluster.sh} run for real, as an operator runs it: three nodes from {@code target/rotakey.jar}
 * come up on free ports over a PostgreSQL database and a SoftHSM2 token of this test's own, all answer with
 * node1's admin token and share one state, node2 is killed with SIGKILL, {@code status} tells which nodes
 * are alive, and {@code down} stops the rest.
 */
class ClusterScriptIT {
    private static final String PG_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
    private static final String DB_PREFIX = "rotakey_cluster_it_";
    private static final List<String> NODES = List.of("node1", "node2", "node3");

    @TempDir
    Path tmp;

    private final String database = DB_PREFIX + Instant.now().getEpochSecond();
    private final List<Integer> ports = freePorts(6);
    private final List<Integer> httpPorts = ports.subList(0, 3);
    private final List<Integer> adminPorts = ports.subList(3, 6);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path clusterDir;

    /** Exit code and merged standard output and error of one run. */
    private record Run(int exitCode, String output) {
    }

    private Run cluster(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "scripts/cluster.sh"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "cluster-", ".out");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("NO_COLOR", "1");
        env.put("ROTAKEY_SKIP_PACKAGES", "1");
        env.put("ROTAKEY_CLUSTER_DIR", clusterDir.toString());
        env.put("ROTAKEY_CLUSTER_DB", database);
        env.put("ROTAKEY_CLUSTER_HTTP_PORTS", join(httpPorts));
        env.put("ROTAKEY_CLUSTER_ADMIN_PORTS", join(adminPorts));
        // These nodes live for a minute: start-up speed over peak throughput.
        env.put("ROTAKEY_CLUSTER_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("cluster.sh " + String.join(" ", args) + " did not finish within 240 s:\n"
                    + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    @Test
    void threeNodesShareOneTokenAndOneStateAndSurviveAKilledNode() throws Exception {
        clusterDir = tmp.resolve("cluster");
        dropLeftOverDatabases();
        assertThat(Path.of("target/rotakey.jar")).as("mvn package builds it before the integration tier").exists();

        Run up = cluster("up", "--no-build");
        assertThat(up.exitCode()).as(up.output()).isZero();
        String token = Files.readString(clusterDir.resolve("node1/admin-token")).trim();
        assertThat(up.output()).contains("admin token  " + token);
        for (int i = 0; i < NODES.size(); i++) {
            assertThat(up.output()).contains("http://127.0.0.1:" + httpPorts.get(i) + "/api/v1/");
        }
        // node1 created the cluster's token once; the others use it and write no file of their own.
        assertThat(clusterDir.resolve("node2/admin-token")).doesNotExist();
        assertThat(clusterDir.resolve("node3/admin-token")).doesNotExist();
        for (int port : httpPorts) {
            assertThat(get(port, "/api/v1/status", token).statusCode()).as("node on " + port).isEqualTo(200);
        }
        // One state: what node3 creates, node1 and node2 see.
        HttpResponse<String> created = post(httpPorts.get(2), "/api/v1/agents", token,
                "{\"id\":\"cluster-it\",\"owner\":\"ops@example.com\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(get(httpPorts.get(0), "/api/v1/agents/cluster-it", token).statusCode()).isEqualTo(200);
        assertThat(get(httpPorts.get(1), "/api/v1/agents/cluster-it", token).statusCode()).isEqualTo(200);

        Map<String, Long> pids = pids();
        assertThat(pids).containsOnlyKeys(NODES);
        Run again = cluster("up", "--no-build");
        assertThat(again.exitCode()).as("up twice: " + again.output()).isZero();
        assertThat(pids()).as("a second up starts nothing").isEqualTo(pids);

        Run kill = cluster("kill", "node2");
        assertThat(kill.exitCode()).as(kill.output()).isZero();
        awaitGone(pids.get("node2"));

        Run status = cluster("status");
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).containsPattern("(?m)^node1  alive +pid " + pids.get("node1"))
                .containsPattern("(?m)^node2  stopped")
                .containsPattern("(?m)^node3  alive +pid " + pids.get("node3"))
                .contains("\"paused\"");
        assertThat(get(httpPorts.get(0), "/api/v1/status", token).statusCode()).isEqualTo(200);

        Run down = cluster("down");
        assertThat(down.exitCode()).as(down.output()).isZero();
        pids.values().forEach(ClusterScriptIT::awaitGone);
        assertThat(cluster("status").output()).containsPattern("(?m)^node1  stopped")
                .containsPattern("(?m)^node3  stopped");
    }

    /** A dead node is reaped by init a moment after the script saw it die: until then it is a zombie, "alive" to Java. */
    private static void awaitGone(long pid) {
        await("pid " + pid + " gone").atMost(Duration.ofSeconds(15))
                .until(() -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty());
    }

    /** Whatever failed above: no node of this test outlives it, and its database goes. */
    @AfterEach
    void tearDown() throws Exception {
        if (clusterDir != null && !pids().isEmpty()) {
            cluster("down");
            // Only the JVMs this test's script started: their pids are in its pid files.
            pids().values().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        }
        try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        }
    }

    /** Databases an earlier run left when its JVM was killed, a day or more ago. */
    private static void dropLeftOverDatabases() throws SQLException {
        long dayAgo = Instant.now().minus(Duration.ofDays(1)).getEpochSecond();
        try (Connection c = DriverManager.getConnection(PG_ADMIN_URL, "postgres", "");
             Statement s = c.createStatement()) {
            List<String> old = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT datname FROM pg_database WHERE datname LIKE '" + DB_PREFIX + "%'")) {
                while (r.next()) {
                    String name = r.getString(1);
                    String suffix = name.substring(DB_PREFIX.length());
                    if (suffix.matches("[0-9]+") && Long.parseLong(suffix) < dayAgo) {
                        old.add(name);
                    }
                }
            }
            for (String name : old) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    /** The pids in the cluster's pid files, by node. */
    private Map<String, Long> pids() throws IOException {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String node : NODES) {
            Path file = clusterDir.resolve(node + ".pid");
            if (Files.exists(file)) {
                pids.put(node, Long.parseLong(Files.readString(file).trim()));
            }
        }
        return pids;
    }

    private HttpResponse<String> get(int port, String path, String token) throws Exception {
        return http.send(request(port, path, token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String token, String json) throws Exception {
        return http.send(request(port, path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(int port, String path, String token) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30));
    }

    private static String join(List<Integer> ports) {
        return ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }

    /** n distinct ports free at the moment: all sockets are held open until the last one is bound. */
    private static List<Integer> freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // a port we could not close is still reported; the script then says it is in use
                }
            }
        }
    }
}
