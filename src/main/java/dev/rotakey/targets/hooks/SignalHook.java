package dev.rotakey.targets.hooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A {@code signal} hook: sends a signal (HUP by default) to the process whose pid a pid file holds, through the
 * system's {@code kill} program, since Java can only terminate processes. Every failure is retryable: a pid file is
 * missing or half-written while its service restarts.
 */
final class SignalHook implements ReloadHook {
    /** How long {@code kill} itself may take. */
    static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    /** A pid file holds a few digits and a newline; anything much longer is not one. */
    private static final int MAX_PID_FILE = 64;
    private static final Pattern PID = Pattern.compile("[1-9][0-9]{0,9}");
    private static final Set<PosixFilePermission> WRITABLE_BY_OTHERS =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private final String name;
    private final Path pidFile;
    private final String signal;
    private final Path kill;

    /** @param kill the {@code kill} program, found by {@link SignalHookFactory} */
    SignalHook(String name, Path pidFile, String signal, Path kill) {
        this.name = name;
        this.pidFile = pidFile;
        this.signal = signal;
        this.kill = kill;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(HookContext context) {
        long pid = readPid(context);
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(HookProcess::running);
        if (process.isEmpty()) {
            throw failure(context, "found no running process " + pid + " (from " + pidFile + ")");
        }
        int status;
        try {
            List<String> argv = List.of(kill.toString(), "-s", signal, Long.toString(pid));
            status = HookProcess.run(argv, Map.of(), KILL_TIMEOUT);
        } catch (HookProcess.TimedOut e) {
            throw failure(context, "could not signal process " + pid + ": " + kill + " did not finish in time");
        } catch (IOException e) {
            throw failure(context, "could not start " + kill + " (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(context, "was interrupted");
        }
        if (status != 0) {
            throw failure(context, "could not send " + signal + " to process " + pid + " (" + kill
                    + " exited with status " + status + ")");
        }
    }

    /**
     * The pid, refusing what is not a plain positive number, and the processes a mistaken or forged pid file must
     * never make us signal: process 1 and Rotakey itself. A pid file others may write could name any process.
     */
    private long readPid(HookContext context) {
        String text;
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(pidFile);
            if (mode.stream().anyMatch(WRITABLE_BY_OTHERS::contains)) {
                throw failure(context, "refuses pid file " + pidFile + ": it is writable by its group or others");
            }
            if (Files.size(pidFile) > MAX_PID_FILE) {
                throw failure(context, "refuses pid file " + pidFile + ": it does not hold just a pid");
            }
            text = Files.readString(pidFile).strip();
        } catch (NoSuchFileException e) {
            throw failure(context, "found no pid file " + pidFile);
        } catch (IOException e) {
            throw failure(context, "cannot read pid file " + pidFile + " (" + e.getClass().getSimpleName() + ")");
        }
        if (!PID.matcher(text).matches()) {
            throw failure(context, "refuses pid file " + pidFile + ": it does not hold just a pid");
        }
        long pid = Long.parseLong(text);
        if (pid == 1 || pid == ProcessHandle.current().pid()) {
            throw failure(context, "refuses pid file " + pidFile + ": it names process " + pid
                    + (pid == 1 ? " (init)" : " (Rotakey itself)"));
        }
        return pid;
    }

    private ReloadHookException failure(HookContext context, String predicate) {
        return new ReloadHookException(name, context.target(), predicate, true);
    }

    @Override
    public String toString() {
        return "SignalHook{name=" + name + ", pidFile=" + pidFile + ", signal=" + signal + "}";
    }
}
