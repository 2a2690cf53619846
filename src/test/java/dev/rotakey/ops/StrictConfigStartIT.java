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

    /** Exit status, standard output and standard error of one run. */
    private record Run(int exit, String stdout, String stderr) {
    }

    @Test
    void anUnsetVariableStopsStartUpWithOneLineNamingIt() throws Exception {
        Run r = serverWithUnsetVariable(null);
        assertThat(r.exit()).as("exit status; stderr:\n%s\nstdout:\n%s", r.stderr(), r.stdout()).isNotZero();
        assertThat(r.stderr().strip()).as("stderr").isEqualTo("Rotakey cannot start: " + expectedMessage());
        assertThat(r.stdout() + r.stderr()).doesNotContain("Exception", "\tat ");
        assertThat(tmp.resolve("data")).as("nothing was created").doesNotExist();
    }

    /** Under systemd, whose JOURNAL_STREAM says the output goes to the journal, the line is an error there: {@code <3>}. */
    @Test
    void inTheJournalTheLineHasTheErrorPriority() throws Exception {
        Run r = serverWithUnsetVariable("8:12345");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr().strip()).isEqualTo("<3>Rotakey cannot start: " + expectedMessage());
    }

    private String expectedMessage() throws Exception {
        String shipped = Files.readString(Path.of("config/rotakey.yml"));
        return tmp.resolve("rotakey.yml") + " line " + (shipped.substring(0, shipped.indexOf("dataDir:")).lines().count() + 1)
                + ": environment variable " + UNSET + " is not set and ${" + UNSET + "} has no default (set it, or write ${"
                + UNSET + ":-default})";
    }

    private Run serverWithUnsetVariable(String journalStream) throws Exception {
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
        builder.environment().remove("JOURNAL_STREAM");
        if (journalStream != null) {
            builder.environment().put("JOURNAL_STREAM", journalStream);
        }
        builder.environment().put("ROTAKEY_DATA_DIR", tmp.resolve("data").toString());
        Process p = builder.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the daemon exits by itself").isTrue();
        return new Run(p.exitValue(), Files.readString(tmp.resolve("stdout"), StandardCharsets.UTF_8),
                Files.readString(tmp.resolve("stderr"), StandardCharsets.UTF_8));
    }

    /** The test class path without test classes: their logback-test.xml would replace the daemon's logging. */
    private static String daemonClassPath() {
        return String.join(File.pathSeparator, Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.replaceAll("/$", "").endsWith("test-classes")).toList());
    }
}
