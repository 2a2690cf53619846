package dev.rotakey.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The turbo filter in a logback context at TRACE: wire loggers are silent below INFO, token text is
 * dropped from any logger, ordinary events pass; and the filter survives a reset of the context.
 */
class WireLogFilterTest {
    private static final String TOKEN = "rkt_x23bO9YqoP-Y8jrbrlZ5db8BseRWATZrnxJs5CysoZY";

    @Test
    void silencesWireLoggersAndTokenTextAtEveryLevel() {
        LoggerContext context = new LoggerContext();
        WireLogFilter filter = new WireLogFilter();
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.setContext(context);
        events.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(events);
        root.setLevel(Level.TRACE);

        context.getLogger("org.eclipse.jetty.http.HttpParser").debug("parsedHeader Authorization: Bearer {}", TOKEN);
        context.getLogger("org.eclipse.jetty.server.HttpChannel").trace("headers {}", "Authorization: xyz");
        context.getLogger("sun.net.www.protocol.http.HttpURLConnection").debug("X-Vault-Token: hvs.abcdef");
        context.getLogger("org.postgresql.Driver").debug("connect password=secret");
        context.getLogger("org.mariadb.jdbc.client.impl.StandardClient").debug("execute query: ALTER USER x IDENTIFIED BY PASSWORD");
        context.getLogger("dev.rotakey.something").info("presented Bearer {}", TOKEN);
        context.getLogger("dev.rotakey.something").warn("token " + TOKEN + " refused");
        context.getLogger("dev.rotakey.something").debug("X-Vault-Token: {}", "hvs.CAESIJlongtokenvalue");
        context.getLogger("org.eclipse.jetty.server.Server").info("Started");
        context.getLogger("dev.rotakey.something").debug("rotation {} started", "8d1f271e");
        context.getLogger("org.eclipse.jettyfake.Thing").debug("not a Jetty logger");

        assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("Started", "rotation 8d1f271e started", "not a Jetty logger");
        context.stop();
    }

    @Test
    void staysInstalledAfterTheContextIsReset() {
        // A context of its own: resetting the global one would drop the appenders other tests rely on.
        LoggerContext context = new LoggerContext();
        WireLogging.install(context);
        WireLogging.install(context);
        assertThat(context.getTurboFilterList()).filteredOn(f -> f instanceof WireLogFilter).hasSize(1);
        // What Dropwizard does when it applies the logging: section.
        context.reset();
        assertThat(context.getTurboFilterList()).filteredOn(f -> f instanceof WireLogFilter).hasSize(1);
        context.stop();
    }
}
