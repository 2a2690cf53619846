package dev.rotakey.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command (rotakeyctl, in the tests that drive it) to its end with no {@code ROTAKEY*} variables of the test's
 * own environment, and answers its exit code and what it printed.
 */
public final class Commands {
    /** A finished command: its exit code, standard output and standard error. */
    public record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Commands() {
    }

    /**
     * Runs {@code command} with {@code env} added to the cleaned environment (an empty value removes the variable),
     * {@code stdin} on its standard input (null: none), in {@code directory} (null: the current one).
     */
    public static Run run(List<String> command, Map<String, String> env, String stdin, Path directory, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("command", ".out");
        Path err = Files.createTempFile("command", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            Map<String, String> e = pb.environment();
            e.keySet().removeIf(k -> k.startsWith("ROTAKEY"));
            e.putAll(env);
            e.values().removeIf(String::isEmpty);
            Process p = pb.start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
