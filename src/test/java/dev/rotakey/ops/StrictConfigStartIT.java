package dev.rotakey.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real daemon ({@code RotakeyApplication server}, a child JVM) with a config naming an environment variable that
 * is not set: it exits non-zero before opening anything, and its standard error says which variable and which file in
 * one line, without a stack trace.
 */
class StrictConfigStartIT {
    private static final String UNSET = "ROTAKEY_IT_SURELY_UNSET_VARIABLE";

    @TempDir
    Path tmp;

    @Test
    void anUnsetVariableStopsStartUpWithOneLineNamingIt() throws Exception {
        String shipped = Files.readString(Path.of("config/rotakey.yml"));
        assertThat(shipped).contains("dataDir: ${ROTAKEY_DATA_DIR:-./data}\n");
        Path config = Files.writeString(tmp.resolve("rotakey.yml"),
                shipped.replace("dataDir: ${ROTAKEY_DATA_DIR:-./data}\n", "dataDir: ${" + UNSET + "}\n"));

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", daemonClassPath(), "dev.rotakey.RotakeyApplication",
                "server", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectOutput(tmp.resolve("stdout").toFile()).redirectError(tmp.resolve("stderr").toFile());
        builder.environment().remove(UNSET);
        builder.environment().put("ROTAKEY_DATA_DIR", tmp.resolve("data").toString());
        Process p = builder.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the daemon exits by itself").isTrue();

        String stderr = Files.readString(tmp.resolve("stderr"), StandardCharsets.UTF_8);
        String stdout = Files.readString(tmp.resolve("stdout"), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("exit status; stderr:\n%s\nstdout:\n%s", stderr, stdout).isNotZero();
        assertThat(stderr.strip()).as("stderr").isEqualTo("Rotakey cannot start: " + config + " line "
                + (shipped.substring(0, shipped.indexOf("dataDir:")).lines().count() + 1) + ": environment variable "
                + UNSET + " is not set and ${" + UNSET + "} has no default (set it, or write ${" + UNSET + ":-default})");
        assertThat(stdout + stderr).doesNotContain("Exception", "\tat ");
        assertThat(tmp.resolve("data")).as("nothing was created").doesNotExist();
    }

    /** The test class path without test classes: their logback-test.xml would replace the daemon's logging. */
    private static String daemonClassPath() {
        return String.join(File.pathSeparator, Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.replaceAll("/$", "").endsWith("test-classes")).toList());
    }
}
