package dev.rotakey.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;

/**
 * Checks the parameters of Dropwizard's own {@code POST /tasks/log-level} before it runs: it turns an unknown
 * level silently into DEBUG, and answers a duration it cannot parse or schedule (negative, enormous) with a
 * 500 and the exception's message. Here they are a 400 naming the parameter.
 */
public final class LogLevelTaskGuard implements Filter {
    private static final Set<String> LEVELS = Set.of("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL");
    private static final Duration LONGEST = Duration.ofDays(365);

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        String problem = problem(request.getParameterValues("level"), request.getParameterValues("duration"));
        if (problem != null) {
            HttpRefusal.send((HttpServletResponse) response, 400, problem);
            return;
        }
        chain.doFilter(request, response);
    }

    static String problem(String[] levels, String[] durations) {
        if (levels != null) {
            for (String level : levels) {
                if (!LEVELS.contains(level.toUpperCase(Locale.ROOT))) {
                    return "parameter 'level' must be one of " + String.join(", ", LEVELS.stream().sorted().toList());
                }
            }
        }
        if (durations != null) {
            for (String text : durations) {
                try {
                    Duration d = Duration.parse(text);
                    if (d.isNegative() || d.isZero() || d.compareTo(LONGEST) > 0) {
                        return "parameter 'duration' must be positive and at most P365D";
                    }
                } catch (DateTimeParseException e) {
                    return "parameter 'duration' must be an ISO-8601 duration such as PT10M";
                }
            }
        }
        return null;
    }
}
