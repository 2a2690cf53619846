package dev.rotakey.targets.hooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@code exec} hook: runs the operator's program (argv, never a shell) with a minimal environment that describes
 * the delivery in {@code ROTAKEY_*} variables; exit status 0 is success. Its output is discarded, so a program that
 * wants a trace logs it itself ({@code logger}, journald).
 */
final class ExecHook implements ReloadHook {
    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Duration timeout;

    ExecHook(String name, List<String> command, Map<String, String> environment, Duration timeout) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(HookContext context) {
        int status;
        try {
            status = HookProcess.run(command, environment(context), timeout);
        } catch (HookProcess.TimedOut e) {
            throw failure(context, "did not finish within " + describe(timeout) + " and was killed", true);
        } catch (IOException e) {
            // A program that is missing or not executable will be so on the next try too; anything else (fork
            // failing for want of memory or processes) may pass.
            Path program = Path.of(command.get(0));
            boolean permanent = !Files.isRegularFile(program) || !Files.isExecutable(program);
            throw failure(context, "could not start " + program + (permanent ? " (missing or not executable)" : ""),
                    !permanent);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(context, "was interrupted and killed", true);
        }
        if (status != 0) {
            throw failure(context, "exited with status " + status, true);
        }
    }

    /** The configured variables, then the delivery's, which the configuration cannot override. */
    Map<String, String> environment(HookContext context) {
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.put("ROTAKEY_TARGET", context.target());
        env.put("ROTAKEY_AGENT", context.agentId());
        env.put("ROTAKEY_CREDENTIAL", context.credentialId());
        env.put("ROTAKEY_VERSION", Integer.toString(context.version()));
        env.put("ROTAKEY_STAGE", context.stage());
        env.put("ROTAKEY_PATH", context.path().toString());
        return env;
    }

    private ReloadHookException failure(HookContext context, String predicate, boolean retryable) {
        return new ReloadHookException(name, context.target(), predicate, retryable);
    }

    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** The program only: its arguments and the environment's values are the operator's and may hold anything. */
    @Override
    public String toString() {
        return "ExecHook{name=" + name + ", program=" + command.get(0) + ", environment=" + environment.keySet()
                + ", timeout=" + timeout + "}";
    }
}
