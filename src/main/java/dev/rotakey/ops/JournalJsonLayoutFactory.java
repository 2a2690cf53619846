package dev.rotakey.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.dropwizard.logging.json.EventJsonLayoutBaseFactory;

import java.util.TimeZone;

/**
 * The {@code json} layout with each line led by its syslog priority ({@code <3>} error, {@code <4>} warning,
 * {@code <6>} info, {@code <7>} debug and trace), which systemd's journal takes as the entry's priority
 * ({@code SyslogLevelPrefix=}, on by default), so that {@code journalctl -p err} finds the errors. A JSON event is
 * one line, its stack trace a field of it, so the whole event is one journal entry at its own priority.
 */
@JsonTypeName("journal-json")
public class JournalJsonLayoutFactory extends EventJsonLayoutBaseFactory {
    @Override
    public LayoutBase<ILoggingEvent> build(LoggerContext context, TimeZone timeZone) {
        return new Prefixed(super.build(context, timeZone));
    }

    /** The syslog priority prefix of {@code level}. */
    public static String prefix(Level level) {
        return switch (level.toInt()) {
            case Level.ERROR_INT -> "<3>";
            case Level.WARN_INT -> "<4>";
            case Level.INFO_INT -> "<6>";
            default -> "<7>";
        };
    }

    /** A layout's lines, each led by the priority of its event. */
    private static final class Prefixed extends LayoutBase<ILoggingEvent> {
        private final LayoutBase<ILoggingEvent> json;

        Prefixed(LayoutBase<ILoggingEvent> json) {
            this.json = json;
        }

        @Override
        public String doLayout(ILoggingEvent event) {
            return prefix(event.getLevel()) + json.doLayout(event);
        }

        @Override
        public void start() {
            json.setContext(getContext());
            json.start();
            super.start();
        }

        @Override
        public void stop() {
            json.stop();
            super.stop();
        }
    }
}
