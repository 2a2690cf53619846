package dev.rotakey.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real nginx (Debian's package) serving TLS on a loopback port with a certificate and key from files, as the
 * consumer of a delivered certificate: started in the foreground with a prefix of its own, told to reload by HUP to the
 * pid in its pid file, stopped with the test.
 */
public final class NginxProcess implements AutoCloseable {
    public static final Path NGINX = Path.of("/usr/sbin/nginx");

    private final Path prefix;
    private final int port;
    private Process process;

    /** @param certificate and {@code key}: the files nginx serves (the same file for a combined PEM) */
    public NginxProcess(Path prefix, Path certificate, Path key) throws IOException {
        this.prefix = Files.createDirectories(prefix);
        Files.createDirectories(prefix.resolve("logs"));
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
        Files.writeString(prefix.resolve("nginx.conf"), String.join("\n",
                "daemon off;",
                "worker_processes 1;",
                "pid " + pidFile() + ";",
                "error_log " + prefix.resolve("logs/error.log") + " info;",
                "events { worker_connections 64; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + prefix.resolve("tmp") + ";",
                "  server {",
                "    listen 127.0.0.1:" + port + " ssl;",
                "    ssl_certificate " + certificate + ";",
                "    ssl_certificate_key " + key + ";",
                "    location / { return 200 'ok'; }",
                "  }",
                "}", ""));
    }

    public void start() throws IOException {
        process = new ProcessBuilder(NGINX.toString(), "-p", prefix.toString(), "-c", prefix.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(pidFile()) && serial() != null);
    }

    public Path pidFile() {
        return prefix.resolve("nginx.pid");
    }

    public int port() {
        return port;
    }

    /** The serial (hex, lower case) of the certificate nginx serves now, as openssl s_client sees it; null if none. */
    public String serial() {
        OpenSsl.Result hello = OpenSsl.runWithInput(prefix, "", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost");
        if (hello.exitCode() != 0 || !hello.output().contains("BEGIN CERTIFICATE")) {
            return null;
        }
        String pem = hello.output().substring(hello.output().indexOf("-----BEGIN CERTIFICATE-----"),
                hello.output().indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length()) + "\n";
        String serial = OpenSsl.runWithInput(prefix, pem, "x509", "-noout", "-serial").ok().output().strip();
        return serial.substring(serial.indexOf('=') + 1).toLowerCase().replaceFirst("^0+(?=.)", "");
    }

    public String log() throws IOException {
        return Files.readString(prefix.resolve("logs/error.log"));
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    /** Whether this machine has nginx (scripts/test.sh installs it). */
    public static boolean installed() {
        return Files.isExecutable(NGINX);
    }

}
