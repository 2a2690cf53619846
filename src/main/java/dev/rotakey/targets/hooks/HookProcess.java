package dev.rotakey.targets.hooks;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one program for a hook the way every hook program is run: the argv as given (no shell), working directory
 * {@code /}, standard input empty, output discarded, a minimal environment instead of the daemon's, and a time limit
 * after which the program and everything it started are killed.
 */
final class HookProcess {
    /** The only variables a hook program inherits from Rotakey itself; the daemon's own may hold tokens. */
    static final Map<String, String> BASE_ENVIRONMENT = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG", "C.UTF-8");
    /** How long a program and its descendants have after SIGTERM before they are killed outright. */
    static final Duration GRACE = Duration.ofSeconds(2);

    private static final File ROOT = new File("/");
    private static final File NO_INPUT = new File("/dev/null");
    private static final long POLL_MILLIS = 20;

    /** The program ran out of time and was killed, with its descendants. */
    static final class TimedOut extends Exception {
        TimedOut() {
            super(null, null, false, false);
        }
    }

    private HookProcess() {
    }

    /**
     * Runs {@code argv} with {@link #BASE_ENVIRONMENT} and then {@code environment} (which may override it) and
     * returns its exit status.
     *
     * @throws IOException          the program could not be started (missing, not executable, no resources)
     * @throws TimedOut             it ran longer than {@code timeout}; it and its descendants were killed
     * @throws InterruptedException this thread was interrupted while waiting; the program was killed too
     */
    static int run(List<String> argv, Map<String, String> environment, Duration timeout)
            throws IOException, TimedOut, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(argv)
                .directory(ROOT)
                .redirectInput(NO_INPUT)
                // A program may print what it read (a credential file): its output goes nowhere, not to our log.
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.clear();
        Map<String, String> wanted = new LinkedHashMap<>(BASE_ENVIRONMENT);
        wanted.putAll(environment);
        env.putAll(wanted);
        Process process = builder.start();
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
        } catch (InterruptedException e) {
            killTree(process);
            throw e;
        }
        killTree(process);
        throw new TimedOut();
    }

    /**
     * SIGTERM to the process and every descendant, then SIGKILL to whatever still lives after {@link #GRACE}. The
     * descendants are listed before anything is signalled: once their parent is gone they are no longer its
     * descendants and could not be found again.
     */
    static void killTree(Process process) throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(process.toHandle());
        process.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + GRACE.toNanos();
        boolean interrupted = false;
        while (tree.stream().anyMatch(HookProcess::running) && System.nanoTime() < deadline) {
            try {
                // Polling, not onExit(): most of these are not our children, whose exit the JDK cannot wait for.
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                // finish the kill first: an interrupted caller must not leave the tree running
                interrupted = true;
                break;
            }
        }
        for (ProcessHandle handle : tree) {
            if (running(handle)) {
                handle.descendants().forEach(ProcessHandle::destroyForcibly);
                handle.destroyForcibly();
            }
        }
        if (interrupted) {
            throw new InterruptedException();
        }
    }

    /**
     * Alive and not a zombie. An orphaned descendant is reaped by whoever is process 1, which in a container may never
     * do it; its zombie counts as alive to the JDK but needs no killing.
     */
    static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(handle.pid()), "stat"));
            // "pid (comm) state …": comm may hold spaces and parentheses, the state follows the last ')'
            int end = stat.lastIndexOf(')');
            return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return handle.isAlive(); // no /proc (not Linux), or it just exited
        }
    }
}
