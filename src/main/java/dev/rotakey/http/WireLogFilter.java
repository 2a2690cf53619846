package dev.rotakey.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of the log whatever the levels: denies events below INFO from the HTTP, mail and
 * database libraries that log request headers or connection properties at DEBUG/TRACE (Jetty logs every
 * parsed {@code Authorization} header), and any event, from anywhere, whose text carries a bearer token,
 * a Vault token header or a Rotakey token. A turbo filter runs before levels are consulted, so an
 * operator setting ROOT or {@code org.eclipse.jetty} to TRACE cannot switch it off.
 */
public final class WireLogFilter extends TurboFilter {
    /**
     * Loggers of the libraries Rotakey uses that print headers, bodies or credentials below INFO: Jetty
     * (server), the JDK's HttpClient and HttpURLConnection (webhooks, alert sinks, the Vault driver), Angus
     * Mail (SMTP AUTH), the PostgreSQL and MariaDB drivers and the Vault driver; plus common clients a dependency may bring.
     */
    static final List<String> WIRE_LOGGERS = List.of(
            "org.eclipse.jetty", "org.glassfish.jersey.logging", "jdk.internal.httpclient", "jdk.httpclient",
            "java.net.http", "sun.net.www", "org.eclipse.angus.mail", "jakarta.mail", "com.sun.mail",
            "org.postgresql", "org.mariadb.jdbc", "io.github.jopenlibs.vault", "org.apache.http", "org.apache.hc", "okhttp3",
            "io.netty", "org.subethamail");

    /** Token-like text: {@code Bearer xyz}, {@code X-Vault-Token: xyz}, {@code rkt_…} operator tokens. */
    private static final Pattern SECRET = Pattern.compile(
            "(?i)bearer\\s+[A-Za-z0-9._~+/=-]{8,}|x-vault-token\\s*[:=]\\s*\\S{4,}|rkt_[A-Za-z0-9_-]{16,}");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (logger == null) {
            return FilterReply.NEUTRAL;
        }
        if (level != null && level.toInt() < Level.INFO_INT && isWireLogger(logger.getName())) {
            return FilterReply.DENY;
        }
        // Turbo filters see every call, enabled or not (and "is DEBUG enabled?" asks with no format): only
        // events that will be logged are scanned, and only they are formatted.
        if (format == null || level == null || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL;
        }
        String text = params == null || params.length == 0 ? format
                : MessageFormatter.arrayFormat(format, params).getMessage();
        return carriesSecret(text) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    static boolean isWireLogger(String name) {
        for (String prefix : WIRE_LOGGERS) {
            if (name.startsWith(prefix) && (name.length() == prefix.length() || name.charAt(prefix.length()) == '.')) {
                return true;
            }
        }
        return false;
    }

    static boolean carriesSecret(String text) {
        return text.length() >= 12 && SECRET.matcher(text).find();
    }
}
