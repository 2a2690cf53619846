package dev.rotakey.targets.hooks;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The {@code exec} hook against real programs: its environment, its failures, and its time limit. */
class ExecHookTest {
    static final HookContext DELIVERED = new HookContext("files", "agent-7", "db-password", 3, HookContext.DELIVERED,
            Path.of("/srv/rotakey/app/db.pw"));

    @TempDir
    Path dir;

    private static ExecHook sh(String name, String script, Map<String, String> environment, Duration timeout) {
        return new ExecHook(name, List.of("/bin/sh", "-c", script), environment, timeout);
    }

    @Test
    void passesTheDeliveryAndTheConfiguredVariablesAndNothingOfTheDaemons() throws IOException {
        Path out = dir.resolve("env.txt");
        sh("dump", "env > \"$OUT\"", Map.of("OUT", out.toString(), "PATH", "/usr/bin:/bin"), Duration.ofSeconds(30))
                .run(DELIVERED);

        Map<String, String> env = new TreeMap<>(Files.readAllLines(out).stream()
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1))));
        assertThat(env).containsEntry("ROTAKEY_TARGET", "files")
                .containsEntry("ROTAKEY_AGENT", "agent-7")
                .containsEntry("ROTAKEY_CREDENTIAL", "db-password")
                .containsEntry("ROTAKEY_VERSION", "3")
                .containsEntry("ROTAKEY_STAGE", "delivered")
                .containsEntry("ROTAKEY_PATH", "/srv/rotakey/app/db.pw")
                .containsEntry("LANG", "C.UTF-8")
                .containsEntry("OUT", out.toString())
                // the configured environment overrides the base one
                .containsEntry("PATH", "/usr/bin:/bin");
        // Only what Rotakey set, and what the shell itself adds (PWD, which is '/').
        assertThat(env.keySet()).isSubsetOf(Set.of("ROTAKEY_TARGET", "ROTAKEY_AGENT", "ROTAKEY_CREDENTIAL",
                "ROTAKEY_VERSION", "ROTAKEY_STAGE", "ROTAKEY_PATH", "LANG", "OUT", "PATH", "PWD", "SHLVL", "_"));
        assertThat(env.getOrDefault("PWD", "/")).isEqualTo("/");
        for (String daemons : System.getenv().keySet()) {
            if (!Set.of("PATH", "LANG", "PWD", "SHLVL", "_").contains(daemons)) {
                assertThat(env).as("the daemon's own environment").doesNotContainKey(daemons);
            }
        }
    }

    @Test
    void theBasePathAppliesWhenNotConfigured() throws IOException {
        Path out = dir.resolve("path.txt");
        sh("path", "echo \"$PATH\" > \"$OUT\"", Map.of("OUT", out.toString()), Duration.ofSeconds(30)).run(DELIVERED);

        assertThat(Files.readString(out).strip()).isEqualTo("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }

    @Test
    void aNonZeroExitFailsRetryablyNamingHookAndTarget() {
        ReloadHookException e = catchThrowableOfType(
                () -> sh("nginx-reload", "exit 3", Map.of(), Duration.ofSeconds(30)).run(DELIVERED),
                ReloadHookException.class);

        assertThat(e).hasMessage("hook 'nginx-reload' of target 'files' exited with status 3");
        assertThat(e.retryable()).isTrue();
        assertThat(e.hook()).isEqualTo("nginx-reload");
        assertThat(e.target()).isEqualTo("files");
    }

    /** A program that read its standard input, or wrote more than a pipe holds, would hang were either a pipe. */
    @Test
    void standardInputIsEmptyAndOutputGoesNowhere() throws IOException {
        Path out = dir.resolve("done");
        sh("chatty", "cat; head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2; echo done > \"$OUT\"",
                Map.of("OUT", out.toString()), Duration.ofSeconds(20)).run(DELIVERED);

        assertThat(Files.readString(out).strip()).isEqualTo("done");
    }

    @Test
    void runsInTheRootDirectory() throws IOException {
        Path out = dir.resolve("cwd");
        sh("cwd", "pwd -P > \"$OUT\"", Map.of("OUT", out.toString()), Duration.ofSeconds(30)).run(DELIVERED);

        assertThat(Files.readString(out).strip()).isEqualTo("/");
    }

    @Test
    void aTimeoutKillsTheProgramAndWhatItStartedQuickly() throws IOException {
        ExecHook hook = sh("slow", "echo $$ > \"$DIR/sh.pid\"; sleep 60 & echo $! > \"$DIR/sleep.pid\"; wait",
                Map.of("DIR", dir.toString()), Duration.ofSeconds(1));
        long started = System.nanoTime();

        ReloadHookException e = catchThrowableOfType(() -> hook.run(DELIVERED), ReloadHookException.class);

        assertThat(e).hasMessage("hook 'slow' of target 'files' did not finish within 1 s and was killed");
        assertThat(e.retryable()).isTrue();
        long shell = Long.parseLong(Files.readString(dir.resolve("sh.pid")).strip());
        long sleep = Long.parseLong(Files.readString(dir.resolve("sleep.pid")).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> gone(shell) && gone(sleep));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aMissingProgramFailsForGood() {
        ExecHook hook = new ExecHook("nothing", List.of(dir.resolve("no-such-program").toString()), Map.of(),
                Duration.ofSeconds(5));

        ReloadHookException e = catchThrowableOfType(() -> hook.run(DELIVERED), ReloadHookException.class);

        assertThat(e).hasMessageStartingWith("hook 'nothing' of target 'files' could not start ")
                .hasMessageEndingWith("no-such-program (missing or not executable)");
        assertThat(e.retryable()).isFalse();
    }

    @Test
    void toStringShowsTheProgramButNeitherArgumentsNorValues() {
        ExecHook hook = new ExecHook("nginx-reload", List.of("/usr/sbin/nginx", "-s", "reload"),
                Map.of("NGINX_CONF", "/etc/nginx/nginx.conf"), Duration.ofSeconds(30));

        assertThat(hook.toString()).contains("nginx-reload", "/usr/sbin/nginx", "NGINX_CONF")
                .doesNotContain("reload}", "/etc/nginx/nginx.conf");
    }

    /** Gone, or a zombie that whoever is process 1 here has yet to reap. */
    static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(h -> !HookProcess.running(h)).orElse(true);
    }
}
