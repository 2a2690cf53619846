package dev.rotakey.targets.hooks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static dev.rotakey.targets.hooks.ExecHookTest.DELIVERED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The {@code signal} hook against a real process that traps HUP, and the pid files it refuses. */
class SignalHookTest {
    @TempDir
    Path dir;

    private Process service;

    @AfterEach
    void stopService() {
        if (service != null) {
            service.destroyForcibly();
        }
    }

    private SignalHook hook(Path pidFile, String signal) {
        SignalHookFactory factory = new SignalHookFactory();
        factory.setPidFile(pidFile.toString());
        factory.setSignal(signal);
        return (SignalHook) factory.build("nginx-hup");
    }

    private Path pidFile(String content) throws IOException {
        Path file = dir.resolve("service.pid");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A shell standing in for nginx: notes each signal in a file, once its traps are set. */
    private Path startService() throws IOException {
        Path ready = dir.resolve("ready");
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c",
                "trap 'echo hup >> \"$DIR/got\"' HUP; trap 'echo usr1 >> \"$DIR/got\"' USR1; : > \"$DIR/ready\"; "
                        + "while :; do sleep 0.1; done")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("DIR", dir.toString());
        service = builder.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(ready));
        return pidFile(service.pid() + "\n");
    }

    @Test
    void sendsHupToTheProcessInThePidFile() throws IOException {
        Path pidFile = startService();

        hook(pidFile, "HUP").run(DELIVERED);

        Path got = dir.resolve("got");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(got) && Files.readString(got).equals("hup\n"));
        assertThat(service.isAlive()).as("HUP is trapped, not fatal").isTrue();
    }

    @Test
    void sendsTheConfiguredSignal() throws IOException {
        Path pidFile = startService();

        hook(pidFile, "USR1").run(DELIVERED);

        Path got = dir.resolve("got");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(got) && Files.readString(got).equals("usr1\n"));
    }

    @Test
    void aMissingPidFileFailsRetryably() {
        ReloadHookException e = catchThrowableOfType(() -> hook(dir.resolve("absent.pid"), "HUP").run(DELIVERED),
                ReloadHookException.class);

        assertThat(e).hasMessage("hook 'nginx-hup' of target 'files' found no pid file " + dir.resolve("absent.pid"));
        assertThat(e.retryable()).isTrue();
    }

    @Test
    void aPidFileOfAnythingButOnePositiveNumberIsRefused() throws IOException {
        for (String garbage : new String[] {"", "\n", "nginx\n", "-5", "0", "12 34", "0x1f", "99999999999", "1e3"}) {
            Path file = pidFile(garbage);

            ReloadHookException e = catchThrowableOfType(() -> hook(file, "HUP").run(DELIVERED), ReloadHookException.class);

            assertThat(e).as("pid file %s", garbage.strip())
                    .hasMessage("hook 'nginx-hup' of target 'files' refuses pid file " + file + ": it does not hold just a pid");
            assertThat(e.retryable()).isTrue();
        }
    }

    @Test
    void neverSignalsInitNorRotakeyItself() throws IOException {
        for (long pid : new long[] {1, ProcessHandle.current().pid()}) {
            Path file = pidFile("  " + pid + "\n");

            ReloadHookException e = catchThrowableOfType(() -> hook(file, "TERM").run(DELIVERED), ReloadHookException.class);

            assertThat(e).hasMessageContaining("it names process " + pid);
        }
    }

    @Test
    void aPidFileOthersMayWriteIsRefused() throws IOException {
        Path file = startService();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));

        ReloadHookException e = catchThrowableOfType(() -> hook(file, "HUP").run(DELIVERED), ReloadHookException.class);

        assertThat(e).hasMessageContaining("writable by its group or others");
        assertThat(dir.resolve("got")).doesNotExist();
    }

    @Test
    void aProcessThatIsNotRunningFailsRetryably() throws Exception {
        Process gone = new ProcessBuilder("/bin/true").start();
        gone.waitFor();
        Path file = pidFile(Long.toString(gone.pid()));

        ReloadHookException e = catchThrowableOfType(() -> hook(file, "HUP").run(DELIVERED), ReloadHookException.class);

        assertThat(e).hasMessage("hook 'nginx-hup' of target 'files' found no running process " + gone.pid()
                + " (from " + file + ")");
        assertThat(e.retryable()).isTrue();
    }
}
