package dev.rotakey.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real rsyslogd (the Debian package, with rsyslog-gnutls) receiving RFC 5425 syslog over TLS on a loopback port
 * and writing every message, RFC 5424 as received, to one file: the SIEM of the export tests. It asks for a client
 * certificate and admits only the peer name given; it can be stopped, killed and started again on the same port.
 */
public final class RsyslogProcess implements AutoCloseable {
    private final Path dir;
    private final int port;
    private Process process;

    /**
     * @param dir         where its configuration, work files and the received file live
     * @param caFile      the CA its own certificate and the clients' are checked against (PEM)
     * @param permittedPeer the name (SAN DNS name, else CN) a client's certificate must carry
     */
    public RsyslogProcess(Path dir, Path caFile, Path certFile, Path keyFile, String permittedPeer) throws IOException {
        this.dir = dir.toAbsolutePath();
        this.port = freePort();
        Files.createDirectories(this.dir.resolve("work"));
        Files.writeString(this.dir.resolve("rsyslog.conf"), String.join("\n",
                "global(workDirectory=\"" + this.dir.resolve("work") + "\" maxMessageSize=\"64k\"",
                "       DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"" + caFile.toAbsolutePath() + "\"",
                "       DefaultNetstreamDriverCertFile=\"" + certFile.toAbsolutePath() + "\"",
                "       DefaultNetstreamDriverKeyFile=\"" + keyFile.toAbsolutePath() + "\")",
                "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\"",
                "       StreamDriver.AuthMode=\"x509/name\" PermittedPeer=[\"" + permittedPeer + "\"])",
                "input(type=\"imtcp\" port=\"" + port + "\")",
                "action(type=\"omfile\" file=\"" + received() + "\" template=\"RSYSLOG_SyslogProtocol23Format\")",
                ""), StandardCharsets.UTF_8);
    }

    public int port() {
        return port;
    }

    /** The file every received message is written to, one per line. */
    public Path received() {
        return dir.resolve("received.log");
    }

    /** The messages received so far. */
    public List<String> lines() {
        try {
            return Files.exists(received()) ? Files.readAllLines(received(), StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts it in the foreground of a child process and waits until its port takes connections. */
    public void start() throws IOException {
        process = new ProcessBuilder("rsyslogd", "-n", "-f", dir.resolve("rsyslog.conf").toString(),
                "-i", dir.resolve("rsyslogd.pid").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("rsyslogd.out").toFile()))
                .start();
        await("rsyslogd listening on " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("rsyslogd exited: " + Files.readString(dir.resolve("rsyslogd.out")));
                    }
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /** SIGTERM: it closes its connections and writes what it holds. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** SIGKILL: a crash. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** What rsyslogd said on its console. */
    public String output() throws IOException {
        Path out = dir.resolve("rsyslogd.out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
