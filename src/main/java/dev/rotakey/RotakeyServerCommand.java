package dev.rotakey;

import dev.rotakey.ops.SystemdNotifier;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import io.dropwizard.core.setup.Environment;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * Dropwizard's {@code server} command, with start-up failures reported as one clear message
 * (naming the config key or file) instead of a stack trace, at the journal's error priority under systemd.
 */
final class RotakeyServerCommand extends ServerCommand<RotakeyConfiguration> {
    RotakeyServerCommand(Application<RotakeyConfiguration> application) {
        super(application);
    }

    /** With systemd told of readiness and stopping ({@code Type=notify}) when it set {@code NOTIFY_SOCKET}. */
    @Override
    protected void run(Environment environment, Namespace namespace, RotakeyConfiguration configuration) throws Exception {
        // Before super.run attaches the listeners to the server it builds.
        environment.lifecycle().addServerLifecycleListener(SystemdNotifier.fromEnvironment());
        super.run(environment, namespace, configuration);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        StringBuilder message = new StringBuilder("Rotakey cannot start: ").append(e.getMessage());
        // Dropwizard's own message of a ConfigurationException already names the key and suggests the right one.
        if (!(e instanceof ConfigurationException)) {
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                if (c.getMessage() != null && !message.toString().contains(c.getMessage())) {
                    message.append("\n  caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
                }
            }
        }
        // systemd sets JOURNAL_STREAM when the output goes to the journal: there each line is an error (<3>), not info.
        String priority = System.getenv("JOURNAL_STREAM") == null ? "" : "<3>";
        cli.getStdErr().println(priority + message.toString().replace("\n", "\n" + priority));
    }
}
