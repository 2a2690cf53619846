package dev.rotakey.config;

import io.dropwizard.validation.selfvalidating.ViolationCollector;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The rule for URLs Rotakey sends secrets or alerts to (webhook targets, alert sinks): absolute,
 * https unless plain http is allowed explicitly, with a host, and without user info, since
 * credentials in a URL end up in logs.
 */
public final class HttpsUrlPolicy {
    private HttpsUrlPolicy() {
    }

    /**
     * Why {@code value} is not acceptable, or null when it is.
     *
     * @param what what travels to the URL, named in the message about plain http ("credentials", "alerts")
     */
    public static String problem(String value, boolean allowHttp, String what) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            return "is not a valid URL";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http")) {
            if (!allowHttp) {
                return "must be an https URL (set allowHttp: true to send " + what + " over plain http)";
            }
        } else if (!scheme.equals("https")) {
            return "must be an https URL";
        }
        if (uri.getHost() == null) {
            return "must name a host";
        }
        if (uri.getRawUserInfo() != null) {
            return "must not carry user info";
        }
        return null;
    }

    /**
     * Adds a violation on {@code property} when {@code value} is set and not acceptable; an unset value is
     * left to {@code @NotEmpty} where it is required.
     */
    public static void check(ViolationCollector violations, String property, String value, boolean allowHttp,
                             String what) {
        if (value == null || value.isEmpty()) {
            return;
        }
        String problem = problem(value, allowHttp, what);
        if (problem != null) {
            violations.addViolation(property, problem);
        }
    }
}
