package dev.rotakey.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scripts/bench.sh} run for real on a small load: it starts its own daemon from {@code target/rotakey.jar},
 * runs the certificate reference, the three rotation measures and wrk, prints the table of rates and ratios on stdout and
 * writes it to the results file, and stops its daemon. The speeds themselves are not asserted: this machine is shared.
 */
class BenchScriptIT {
    private static final String NUMBER = "([0-9]+(?:\\.[0-9]+)?)";
    private static final Pattern CERTIFICATE_ROW = Pattern.compile("(?m)^\\| certificate rotations/s \\(EC P-256, export, 20 "
            + "credentials, one rotate task\\) \\| " + NUMBER + " \\| " + NUMBER + " \\([^|]+\\) \\| " + NUMBER
            + " \\| ≥ 0\\.5 \\| (yes|no) \\|$");
    private static final Pattern API_KEY_ROW = Pattern.compile("(?m)^\\| API-key rotations/s \\(20 credentials, one rotate "
            + "task\\) \\| " + NUMBER + " \\| — \\| — \\| ≥ 1000/s \\| (yes|no) \\|$");
    private static final Pattern SCHEDULED_ROW = Pattern.compile("(?m)^\\| API-key rotations/s due together, started by "
            + "the scheduler \\(20, one cron second\\) \\| " + NUMBER + " \\| " + NUMBER + " \\(one rotate task\\) \\| "
            + NUMBER + " \\| ≥ 0\\.8 \\| (yes|no) \\|$");
    private static final Pattern VERIFY_ROW = Pattern.compile("(?m)^\\| API-key verify, req/s \\(wrk, 16 connections\\) \\| "
            + NUMBER + " \\| " + NUMBER + " \\(GET CA chain\\) \\| " + NUMBER + " \\| ≥ 0\\.9 \\| (yes|no) \\|$");
    private static final Pattern P99_ROW = Pattern.compile("(?m)^\\| API-key verify, p99 latency ms \\| " + NUMBER + " \\| "
            + NUMBER + " \\(GET CA chain\\) \\| — \\| ≤ 5 ms \\| (yes|no) \\|$");

    @TempDir
    Path tmp;

    @Test
    void printsTheTableOfRatesAndRatiosAndStopsItsDaemon() throws Exception {
        assertThat(Path.of("target/rotakey.jar")).as("mvn package builds it before the integration tier").exists();
        List<Integer> ports = freePorts(2);
        Path stdout = tmp.resolve("bench.out");
        Path stderr = tmp.resolve("bench.err");
        Path results = tmp.resolve("results.md");
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/bench.sh", "--quick", "--count", "20", "--repeat", "1",
                "--no-build").redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.put("NO_COLOR", "1");
        env.put("ROTAKEY_SKIP_PACKAGES", "1");
        env.put("ROTAKEY_BENCH_DIR", tmp.resolve("run").toString());
        env.put("ROTAKEY_BENCH_RESULTS", results.toString());
        env.put("ROTAKEY_BENCH_HTTP_PORT", ports.get(0).toString());
        env.put("ROTAKEY_BENCH_ADMIN_PORT", ports.get(1).toString());
        // This daemon lives for a minute: start-up speed over peak throughput.
        env.put("ROTAKEY_BENCH_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC");
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroy();
            p.waitFor(60, TimeUnit.SECONDS);
            throw new AssertionError("bench.sh did not finish within 300 s:\n" + Files.readString(stderr));
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        String log = Files.readString(stderr, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(log + out).isZero();

        assertThat(out).startsWith("| measure | Rotakey | reference | ratio | goal | met? |\n|---|---|---|---|---|---|\n");
        assertPositive(CERTIFICATE_ROW, out, 3);
        assertPositive(API_KEY_ROW, out, 1);
        assertPositive(SCHEDULED_ROW, out, 3);
        assertPositive(VERIFY_ROW, out, 3);
        assertPositive(P99_ROW, out, 2);
        assertThat(out).as("no fleet rows without --fleet").doesNotContain("fleet of");
        assertThat(Files.readString(results, StandardCharsets.UTF_8)).startsWith("# Rotakey benchmark, ")
                .contains(out.strip()).contains("| rep | cert/s | reference/s | API-key/s | scheduled API-key/s |");
        assertThat(log).contains("certificate reference:").contains("Stopping the daemon");

        // The daemon is gone and, without --keep, so is the work directory.
        for (int port : ports) {
            assertThat(listening(port)).as("something still listens on " + port).isFalse();
        }
        assertThat(tmp.resolve("run")).doesNotExist();
    }

    /** The row matches, and its first {@code numbers} groups are numbers above zero. */
    private static void assertPositive(Pattern row, String out, int numbers) {
        Matcher m = row.matcher(out);
        assertThat(m.find()).as("a row matching " + row + " in:\n" + out).isTrue();
        for (int i = 1; i <= numbers; i++) {
            assertThat(Double.parseDouble(m.group(i))).as("column " + i + " of " + m.group()).isPositive();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** n distinct ports free at the moment: all sockets are held open until the last one is bound. */
    private static List<Integer> freePorts(int n) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }
}
