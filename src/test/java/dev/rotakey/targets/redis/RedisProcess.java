package dev.rotakey.targets.redis;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A redis-server process of a test's own (a server, a replica or a Sentinel, from {@code /usr/bin/redis-server}) on a
 * free loopback port, optionally over TLS, with its log and ACL file in the test's directory. Starting waits until it
 * answers PING; {@link #close()} stops it, and a shutdown hook stops whatever a failed test left running.
 */
final class RedisProcess implements AutoCloseable {
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly)));
    }

    private final String name;
    private final Path dir;
    private final int port;
    private final List<String> command;
    private final SSLContext fixtureTls;
    private Process process;

    private RedisProcess(String name, Path dir, int port, List<String> command, SSLContext fixtureTls) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.command = List.copyOf(command);
        this.fixtureTls = fixtureTls;
    }

    /**
     * Starts a server with an (empty) ACL file, no persistence of data, and the {@code extra} arguments.
     *
     * @param tls null for plain TCP; else the TLS arguments of {@link RedisPki#serverArgs}
     */
    static RedisProcess server(Path dir, String name, RedisPki pki, List<String> tls, String... extra) {
        int port = freePort();
        Path acl = dir.resolve(name + ".acl");
        write(acl, "");
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", dir.toAbsolutePath().toString(), "--dbfilename", name + ".rdb",
                "--logfile", dir.resolve(name + ".log").toAbsolutePath().toString(),
                "--aclfile", acl.toAbsolutePath().toString(),
                // A primary otherwise waits 5 s for more replicas before it starts sending its data to the first.
                "--repl-diskless-sync-delay", "0"));
        portArgs(command, port, tls);
        command.addAll(List.of(extra));
        RedisProcess p = new RedisProcess(name, dir, port, command, tls == null ? null : pki.fixtureContext());
        p.start();
        return p;
    }

    /** Starts a replica of {@code master} (over TLS when the replica is) and waits until its link is up. */
    static RedisProcess replica(Path dir, String name, RedisPki pki, List<String> tls, RedisProcess master) {
        List<String> extra = new ArrayList<>(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
        if (tls != null) {
            extra.addAll(List.of("--tls-replication", "yes"));
        }
        RedisProcess replica = server(dir, name, pki, tls, extra.toArray(String[]::new));
        replica.awaitReplicaLinkUp();
        return replica;
    }

    /**
     * Starts a Sentinel that monitors {@code master} under {@code masterName} with a quorum of one.
     *
     * @param tls null for plain TCP; else the TLS arguments of {@link RedisPki#serverArgs}, which also make it reach
     *            the servers over TLS
     */
    static RedisProcess sentinel(Path dir, String name, String masterName, RedisProcess master, RedisPki pki,
                                 List<String> tls) {
        int port = freePort();
        Path conf = dir.resolve(name + ".conf");
        List<String> lines = new ArrayList<>(List.of(
                "bind 127.0.0.1",
                "dir " + dir.toAbsolutePath(),
                "logfile " + dir.resolve(name + ".log").toAbsolutePath(),
                "sentinel monitor " + masterName + " 127.0.0.1 " + master.port() + " 1",
                "sentinel down-after-milliseconds " + masterName + " 1000",
                "sentinel failover-timeout " + masterName + " 10000"));
        List<String> args = new ArrayList<>();
        portArgs(args, port, tls);
        if (tls != null) {
            args.addAll(List.of("--tls-replication", "yes"));
        }
        for (int i = 0; i + 1 < args.size(); i += 2) {
            lines.add(args.get(i).substring(2) + " " + args.get(i + 1));
        }
        // Sentinel rewrites its configuration file as it learns: it must be a file of its own, writable.
        write(conf, String.join("\n", lines) + "\n");
        RedisProcess p = new RedisProcess(name, dir, port, List.of("redis-server", conf.toAbsolutePath().toString(),
                "--sentinel"), tls == null ? null : pki.fixtureContext());
        p.start();
        return p;
    }

    private static void portArgs(List<String> command, int port, List<String> tls) {
        if (tls == null) {
            command.addAll(List.of("--port", Integer.toString(port)));
        } else {
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port)));
            command.addAll(tls);
        }
    }

    int port() {
        return port;
    }

    RedisAddress address() {
        return new RedisAddress("127.0.0.1", port);
    }

    /** Starts (or starts again, on the same port and with the same files) and waits until it answers PING. */
    void start() {
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".out").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0) + " (is redis-server installed?)", e);
        }
        RUNNING.add(process);
        await(name + " answering PING on port " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .ignoreExceptionsMatching(e -> e instanceof IllegalStateException && process.isAlive())
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError(name + " exited: " + log());
                    }
                    return "PONG".equals(RespConnection.text(call("PING")));
                });
    }

    /** Stops it (SIGTERM, as an operator's restart or a crash-free outage does). */
    void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RUNNING.remove(process);
    }

    /** Sends one command as the {@code default} user; an error reply becomes an {@link IllegalStateException}. */
    Object call(String... args) {
        try (RespConnection c = RespConnection.open(address(), 2000, 5000, fixtureTls)) {
            return c.call(args);
        } catch (IOException | RespConnection.ErrorReply e) {
            throw new IllegalStateException(name + ": " + args[0] + " failed: " + e.getMessage(), e);
        }
    }

    /** {@link #call} with the reply written out: bulk strings as text, arrays as {@code [a, b]}. */
    String callText(String... args) {
        return text(call(args));
    }

    private static String text(Object reply) {
        if (reply instanceof List<?> list) {
            return list.stream().map(RedisProcess::text).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
        }
        return String.valueOf(RespConnection.text(reply));
    }

    /** Whether a fresh connection can log in as {@code user} with {@code password} (false on WRONGPASS). */
    boolean authenticates(String user, String password) {
        try (RespConnection c = RespConnection.open(address(), 2000, 5000, fixtureTls)) {
            return "OK".equals(RespConnection.text(c.call("AUTH", user, password)));
        } catch (RespConnection.ErrorReply e) {
            if (e.code().equals("WRONGPASS")) {
                return false;
            }
            throw new IllegalStateException(name + ": unexpected reply " + e.code(), e);
        } catch (IOException e) {
            throw new IllegalStateException(name + " is not reachable", e);
        }
    }

    /** Waits until this replica's link to its master is up (the master's data, not its ACL users, has arrived). */
    void awaitReplicaLinkUp() {
        await(name + " replicating").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> RespConnection.text(call("INFO", "replication")).contains("master_link_status:up"));
    }

    /** The log it wrote so far, for failure messages. */
    String log() {
        try {
            Path log = dir.resolve(name + ".log");
            Path out = dir.resolve(name + ".out");
            return (Files.exists(out) ? Files.readString(out) : "") + (Files.exists(log) ? Files.readString(log) : "");
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return name + " on 127.0.0.1:" + port;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
