package dev.rotakey.cluster;

import dev.rotakey.testing.DaemonProcess;
import dev.rotakey.testing.TestDatabases;
import io.dropwizard.db.DataSourceFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mass rotation on 1, 2 and 3 clustered daemons over one PostgreSQL database (a new one each round), in one run.
 * Each round times two ways N API keys (delivered to a shared local-files directory) get rotated: <b>due</b>, all
 * scheduled for the same second (a cron, no jitter), which Quartz's clustered job store spreads over the running
 * nodes; and <b>task</b>, an operator's {@code POST /tasks/rotate?agent=} sent to node1. The time runs to the last
 * rotation's {@code finished_at} (from the due second, or from the request); each node's
 * {@code rotakey_rotations_total} tells how many it ran. Node counts alternate (1,2,3 then 3,2,1 …) and medians
 * are reported, because the 2-core machine is noisy.
 *
 * <p>The nodes are real daemons ({@link DaemonProcess}, {@code config/rotakey-cluster.yml}, one SoftHSM2 token made by
 * {@code scripts/init-softhsm.sh}): a cluster's costs are Quartz's row locks and check-ins and the credential locks
 * between processes that compete for the same cores, which service graphs sharing one JVM would understate.
 * Not a unit test: run its main by hand from the repository, on the test class path (see docs/testing.md). Arguments:
 * credentials per round (500), repetitions (3), threads per node (4).
 */
public final class ClusterScaleBenchmark {
    private static final Pattern ROTATIONS = Pattern.compile("(?m)^rotakey_rotations_total\\{([^}]*)\\} ([0-9.eE+-]+)$");
    private static final int WARM_UP = 100;

    private final int credentials;
    private final Path dir;
    private final int threads;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** This round's database and nodes. */
    private String dbUrl;
    private final List<Node> nodes = new ArrayList<>();
    private int rounds;
    private int agents;

    private ClusterScaleBenchmark(int credentials, int threads, Path dir) {
        this.credentials = credentials;
        this.threads = threads;
        this.dir = dir;
    }

    /** How the rotations of a round are started. */
    private enum Mode {
        DUE, TASK
    }

    /** One measurement: rotations per second, and how many rotations each node ran. */
    private record Round(Mode mode, int nodes, double perSecond, Map<String, Long> byNode) {
    }

    public static void main(String[] args) throws Exception {
        int credentials = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Path dir = Files.createTempDirectory("rotakey-cluster-bench");
        initToken(dir.resolve("shared"));
        ClusterScaleBenchmark bench = new ClusterScaleBenchmark(credentials, threads, dir);
        List<Round> rounds = new ArrayList<>();
        for (int rep = 0; rep < repetitions; rep++) {
            for (int k = 1; k <= 3; k++) {
                rounds.addAll(bench.round(rep % 2 == 0 ? k : 4 - k));
            }
        }
        report(rounds, credentials, threads);
    }

    /**
     * Starts {@code k} new nodes over a new database (so that no round inherits the rows of the ones before: the
     * tables growing by a thousand credentials a round slowed later rounds more than the node count changed them),
     * warms them up, then times one mass rotation of each mode.
     */
    private List<Round> round(int k) throws Exception {
        DataSourceFactory db = TestDatabases.postgres();
        dbUrl = db.getUrl();
        Path roundDir = dir.resolve("round-" + (++rounds));
        nodes.clear();
        for (int i = 1; i <= 3; i++) {
            nodes.add(new Node("node" + i, roundDir, threads));
        }
        try {
            List<Node> running = nodes.subList(0, k);
            for (Node n : running) {
                n.start();
            }
            return measureRound(running);
        } finally {
            nodes.forEach(Node::stop);
            TestDatabases.cleanup(db);
        }
    }

    private List<Round> measureRound(List<Node> running) throws Exception {
        Map<String, Long> before = succeeded(running);
        String warmUp = createFleet(WARM_UP, running, null);
        requestRotation(warmUp);
        awaitRotations(warmUp, WARM_UP, running, before);

        before = succeeded(running);
        long created = System.nanoTime();
        String burst = createFleet(credentials, running, null);
        double creation = (System.nanoTime() - created) / 1e9;
        Instant asked = Instant.now();
        requestRotation(burst);
        Round task = measure(Mode.TASK, burst, asked, running, before);

        // Due a few seconds after the fleet is created, judged by how long the last one took.
        Instant due = Instant.now().plusSeconds((long) (creation * 1.5) + 8).truncatedTo(ChronoUnit.SECONDS);
        before = succeeded(running);
        String cron = DateTimeFormatter.ofPattern("s m H").withZone(ZoneOffset.UTC).format(due) + " * * ?";
        String scheduled = createFleet(credentials, running, cron);
        if (Instant.now().isAfter(due.minusSeconds(1))) {
            System.out.println("warning: the fleet was created only " + Duration.between(due, Instant.now())
                    + " before its due time");
        }
        return List.of(measure(Mode.DUE, scheduled, due, running, before), task);
    }

    private Round measure(Mode mode, String agent, Instant from, List<Node> running, Map<String, Long> before)
            throws Exception {
        Instant last = awaitRotations(agent, credentials, running, before);
        double seconds = Duration.between(from, last).toNanos() / 1e9;
        Map<String, Long> byNode = new TreeMap<>();
        running.forEach(n -> byNode.put(n.name, n.succeeded() - before.get(n.name)));
        Round r = new Round(mode, running.size(), credentials / seconds, byNode);
        System.out.printf("%-4s %d node(s): %d rotations in %6.2f s = %6.1f /s, by node %s%n", mode, running.size(),
                credentials, seconds, r.perSecond(), byNode);
        return r;
    }

    /**
     * A new agent with {@code n} API keys on local-files, created through the running nodes in turn, rotated every
     * 30 days or on {@code cron} if given.
     */
    private String createFleet(int n, List<Node> running, String cron) throws Exception {
        String rotation = cron == null ? "{\"every\":\"P30D\"}" : "{\"cron\":\"" + cron + "\"}";
        String agent = "bench-" + (++agents);
        expect(running.get(0).daemon.post("/api/v1/agents",
                "{\"id\":\"" + agent + "\",\"owner\":\"bench@example.com\"}"), 201);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String id = agent + "-c" + i;
                String path = agent + "/c" + i;
                DaemonProcess node = running.get(i % running.size()).daemon;
                done.add(pool.submit(() -> expect(node.post("/api/v1/credentials", "{\"id\":\"" + id
                        + "\",\"agent\":\"" + agent + "\",\"type\":\"api-key\",\"backend\":\"hsm\","
                        + "\"rotation\":" + rotation + ",\"gracePeriod\":\"PT1H\","
                        + "\"targets\":[{\"target\":\"local-files\",\"path\":\"" + path + "\"}]}"), 201)));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        return agent;
    }

    /** Asks node1 to rotate every credential of {@code agent} now. */
    private void requestRotation(String agent) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + nodes.get(0).adminPort + "/tasks/rotate?agent=" + agent))
                .header("Authorization", "Bearer " + nodes.get(0).daemon.token()).timeout(Duration.ofMinutes(5))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("rotate task answered " + r.statusCode() + ": " + r.body());
        }
    }

    /**
     * Waits until {@code n} rotations of {@code agent}'s credentials to version 2 have SUCCEEDED and the nodes'
     * counters have counted them (a node counts a rotation just after committing it); answers the last one's end.
     */
    private Instant awaitRotations(String agent, int n, List<Node> running, Map<String, Long> before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        try (Connection c = DriverManager.getConnection(dbUrl, TestDatabases.PG_USER, "");
             PreparedStatement q = c.prepareStatement("SELECT r.state, count(*), max(r.finished_at) FROM rotations r"
                     + " JOIN credentials c ON c.id = r.credential_id WHERE c.agent_id = ? AND r.version = 2"
                     + " GROUP BY r.state")) {
            q.setString(1, agent);
            while (true) {
                Map<String, Long> states = new HashMap<>();
                Instant last = null;
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        states.put(rs.getString(1), rs.getLong(2));
                        if ("SUCCEEDED".equals(rs.getString(1))) {
                            last = rs.getObject(3, OffsetDateTime.class).toInstant();
                        }
                    }
                }
                if (states.getOrDefault("FAILED", 0L) > 0) {
                    throw new IllegalStateException("rotations failed: " + states);
                }
                // The counters are read only at the end: scraping them while the nodes work would load the cores.
                if (states.getOrDefault("SUCCEEDED", 0L) >= n && counted(running, before) >= n) {
                    return last;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("rotations not done after 10 minutes: " + states);
                }
                Thread.sleep(100);
            }
        }
    }

    private static Map<String, Long> succeeded(List<Node> running) {
        Map<String, Long> counts = new HashMap<>();
        running.forEach(n -> counts.put(n.name, n.succeeded()));
        return counts;
    }

    /** Rotations the running nodes counted since {@code before}. */
    private static long counted(List<Node> running, Map<String, Long> before) {
        return running.stream().mapToLong(n -> n.succeeded() - before.get(n.name)).sum();
    }

    private static void report(List<Round> rounds, int credentials, int threads) {
        System.out.printf("%nMass rotation of %d API keys (local-files, shared), %d worker threads per node, one PostgreSQL:%n",
                credentials, threads);
        for (Mode mode : Mode.values()) {
            double single = median(rounds, mode, 1);
            for (int k = 1; k <= 3; k++) {
                int count = k;
                List<Round> these = rounds.stream().filter(r -> r.mode() == mode && r.nodes() == count).toList();
                Map<String, Long> split = new TreeMap<>();
                these.forEach(r -> r.byNode().forEach((n, c) -> split.merge(n, c, Long::sum)));
                long total = split.values().stream().mapToLong(Long::longValue).sum();
                StringBuilder shares = new StringBuilder();
                split.forEach((n, c) -> shares.append(String.format(" %s %.0f%%", n, 100.0 * c / total)));
                System.out.printf("%-4s %d node(s): median %6.1f rotations/s (%.2fx one node), runs %s, work split%s%n",
                        mode, k, median(rounds, mode, k), median(rounds, mode, k) / single,
                        these.stream().map(r -> String.format("%.1f", r.perSecond())).toList(), shares);
            }
        }
    }

    private static double median(List<Round> rounds, Mode mode, int k) {
        double[] v = rounds.stream().filter(r -> r.mode() == mode && r.nodes() == k)
                .mapToDouble(Round::perSecond).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String expect(DaemonProcess.Answer a, int status) {
        if (a.status() != status) {
            throw new IllegalStateException("expected " + status + ", got " + a.status() + ": " + a.body());
        }
        return a.body();
    }

    /** The SoftHSM2 token and PIN file the nodes share, made as scripts/cluster.sh makes them. */
    private static void initToken(Path shared) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "scripts/init-softhsm.sh", shared.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("scripts/init-softhsm.sh failed with " + p.exitValue());
        }
        Files.createDirectories(shared.resolve("delivered"));
    }

    /** One node: a daemon on config/rotakey-cluster.yml with its own data directory and an admin port we know. */
    private final class Node {
        final String name;
        final int adminPort = freePort();
        final DaemonProcess daemon;
        private boolean started;

        Node(String name, Path roundDir, int threads) {
            this.name = name;
            Path shared = dir.resolve("shared");
            // ROTAKEY_ADMIN_PORT here replaces the one DaemonProcess picks, which it keeps to itself.
            this.daemon = new DaemonProcess(Path.of("config/rotakey-cluster.yml"), roundDir.resolve(name),
                    // No jitter: a fleet on one cron is due in the same second.
                    Map.of("scheduler.threads", Integer.toString(threads), "rotation.jitter", "0"),
                    Map.of("ROTAKEY_NODE", name, "ROTAKEY_SHARED_DIR", shared.toString(),
                            "ROTAKEY_DB_URL", dbUrl, "ROTAKEY_DB_USER", TestDatabases.PG_USER,
                            "ROTAKEY_ADMIN_PORT", Integer.toString(adminPort),
                            "SOFTHSM2_CONF", shared.resolve("softhsm2.conf").toString()));
        }

        void start() throws IOException {
            if (daemon.alive()) {
                return;
            }
            if (!started && !name.equals("node1")) {
                // node1 made the cluster's admin token; an operator hands the file to the other nodes.
                Path token = daemon.dataDir().resolve("admin-token");
                Files.createDirectories(daemon.dataDir());
                Files.copy(nodes.get(0).daemon.dataDir().resolve("admin-token"), token, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            }
            daemon.start("");
            started = true;
        }

        void stop() {
            if (daemon.alive()) {
                daemon.stop();
            }
        }

        /** Rotations this process has finished with success since it started, initial issues left out. */
        long succeeded() {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + adminPort + "/metrics/prometheus"))
                        .header("Authorization", "Bearer " + daemon.token()).timeout(Duration.ofSeconds(30)).GET().build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                long sum = 0;
                Matcher m = ROTATIONS.matcher(r.body());
                while (m.find()) {
                    // Issuing version 1 counts as an (initial) rotation: not what is measured here.
                    if (m.group(1).contains("outcome=\"succeeded\"") && !m.group(1).contains("trigger=\"initial\"")) {
                        sum += (long) Double.parseDouble(m.group(2));
                    }
                }
                return sum;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
