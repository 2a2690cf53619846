package dev.rotakey.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the machine's real {@code openssl} binary, the way a user checks what Rotakey produced. */
public final class OpenSsl {
    private OpenSsl() {
    }

    /** Exit code and merged standard output and error of one run. */
    public record Result(int exitCode, String output) {
        public Result ok() {
            if (exitCode != 0) {
                throw new AssertionError("openssl failed (" + exitCode + "):\n" + output);
            }
            return this;
        }
    }

    /** {@code openssl args…} in the working directory, which must succeed: its standard output and error together. */
    public static String openssl(String... args) {
        return run(Path.of("."), args).ok().output();
    }

    /** {@code openssl args…} in {@code dir}; fails the test if it does not finish within 30 s. */
    public static Result run(Path dir, String... args) {
        return runWithInput(dir, "", args);
    }

    /** As {@link #run}, with {@code input} on its standard input. */
    public static Result runWithInput(Path dir, String input, String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            try (var stdin = p.getOutputStream()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("openssl " + args[0] + " did not finish");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new AssertionError("cannot run openssl: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
