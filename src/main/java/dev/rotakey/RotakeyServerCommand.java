package dev.rotakey;

import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * Dropwizard's {@code server} command, with start-up failures reported as one clear message
 * (naming the config key or file) instead of a stack trace.
 */
final class RotakeyServerCommand extends ServerCommand<RotakeyConfiguration> {
    RotakeyServerCommand(Application<RotakeyConfiguration> application) {
        super(application);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        StringBuilder message = new StringBuilder("Rotakey cannot start: ").append(e.getMessage());
        if (e instanceof ConfigurationException) {
            // Dropwizard's own message already names the key and suggests the right one.
            cli.getStdErr().println(message);
            return;
        }
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null && !message.toString().contains(c.getMessage())) {
                message.append("\n  caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            }
        }
        cli.getStdErr().println(message);
    }
}
