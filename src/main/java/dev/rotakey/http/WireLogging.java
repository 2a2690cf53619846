package dev.rotakey.http;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Installs {@link WireLogFilter} into logback, and again after every reset of the logging context
 * (Dropwizard resets it when it applies the {@code logging:} section), so no level an operator sets
 * — in the config, or at run time with the {@code log-level} task — can print a secret.
 */
public final class WireLogging {
    private WireLogging() {
    }

    /** Idempotent: a context has at most one {@link WireLogFilter}. */
    public static void install() {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            install(context);
        }
    }

    static void install(LoggerContext context) {
        synchronized (WireLogging.class) {
            addFilter(context);
            if (context.getCopyOfListenerList().stream().noneMatch(l -> l instanceof Reinstaller)) {
                context.addListener(new Reinstaller());
            }
        }
    }

    private static void addFilter(LoggerContext context) {
        if (context.getTurboFilterList().stream().noneMatch(f -> f instanceof WireLogFilter)) {
            WireLogFilter filter = new WireLogFilter();
            filter.setName("rotakey-wire-log-filter");
            filter.setContext(context);
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    /** Puts the filter back after a reset, which clears every turbo filter. */
    private static final class Reinstaller implements LoggerContextListener {
        @Override
        public boolean isResetResistant() {
            return true;
        }

        @Override
        public void onStart(LoggerContext context) {
            addFilter(context);
        }

        @Override
        public void onReset(LoggerContext context) {
            addFilter(context);
        }

        @Override
        public void onStop(LoggerContext context) {
        }

        @Override
        public void onLevelChange(Logger logger, Level level) {
        }
    }
}
