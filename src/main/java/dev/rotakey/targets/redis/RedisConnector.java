package dev.rotakey.targets.redis;

import dev.rotakey.targets.TargetException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Locale;

/**
 * Opens a redis-acl target's connections (to its Redis servers and Sentinels alike), over TLS when the target has a
 * {@code tls:} block, within its timeouts; and says of an I/O failure, or of the failures of several servers, whether a
 * retry may pass: an unreachable server may come back, a refused certificate will not.
 */
final class RedisConnector {
    /** Alerts a TLS server sends when it refuses the client's certificate (or its absence) or the handshake itself. */
    private static final List<String> REFUSAL_ALERTS = List.of("bad_certificate", "unknown_ca", "certificate_required",
            "certificate_unknown", "certificate_expired", "certificate_revoked", "unsupported_certificate",
            "access_denied", "handshake_failure", "protocol_version", "insufficient_security");

    private final String target;
    private final int connectTimeoutMillis;
    private final int commandTimeoutMillis;
    private final SSLContext tls;

    /** @param tls null for plain TCP */
    RedisConnector(String target, int connectTimeoutMillis, int commandTimeoutMillis, SSLContext tls) {
        this.target = target;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.commandTimeoutMillis = commandTimeoutMillis;
        this.tls = tls;
    }

    String target() {
        return target;
    }

    boolean tls() {
        return tls != null;
    }

    /** A connection to {@code address}, TLS handshake done; a failure is a {@link TargetException}. */
    RespConnection open(RedisAddress address, String role, String action) {
        try {
            return RespConnection.open(address, connectTimeoutMillis, commandTimeoutMillis, tls);
        } catch (IOException e) {
            throw failure(address, role, action, e);
        }
    }

    /**
     * What an I/O failure on a connection to {@code address} means. With TLS 1.3 the server judges the client's
     * certificate after the client has finished its handshake, so its refusal arrives as the alert that answers the
     * first command: every exchange, not only {@link #open}, goes through here.
     *
     * @param role {@code Redis} or {@code Sentinel}, for the message
     */
    TargetException failure(RedisAddress address, String role, String action, IOException e) {
        String prefix = "target '" + target + "': cannot " + action + ": ";
        if (e instanceof SSLException) {
            CertificateException certificate = cause(e, CertificateException.class);
            if (certificate != null) {
                // The JDK's text names the mismatch ("No subject alternative names matching IP address …") or the
                // untrusted chain ("PKIX path building failed …"); certificates are public, so it may be shown.
                return new TargetException(prefix + "the TLS certificate of " + role + " at " + address + " is refused ("
                        + certificate.getMessage() + "): it must be issued by the tls.caFile CA for the host name "
                        + address.host(), false, e);
            }
            String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (REFUSAL_ALERTS.stream().anyMatch(message::contains)) {
                return new TargetException(prefix + role + " at " + address + " refused the TLS connection ("
                        + e.getMessage() + "): does it require a client certificate (tls.clientCertificateFile) from "
                        + "another CA?", false, e);
            }
            if (message.contains("unsupported or unrecognized ssl message")) {
                return new TargetException(prefix + role + " at " + address + " does not speak TLS on that port ("
                        + e.getMessage() + ")", false, e);
            }
        }
        return new TargetException(prefix + role + " at " + address + " is unreachable (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", true, e);
    }

    /**
     * One exception for the failures of several servers: retryable only when each was, since a refusal that needs an
     * operator is not cured by the other servers coming back.
     */
    static TargetException combined(String target, List<TargetException> failures) {
        if (failures.isEmpty()) {
            return new TargetException("target '" + target + "': no server answered", true);
        }
        if (failures.size() == 1) {
            return failures.get(0);
        }
        boolean retryable = failures.stream().allMatch(TargetException::retryable);
        StringBuilder message = new StringBuilder("target '" + target + "': " + failures.size() + " servers failed: ");
        String prefix = "target '" + target + "': ";
        for (int i = 0; i < failures.size(); i++) {
            String m = failures.get(i).getMessage();
            message.append(i == 0 ? "" : "; ").append(m.startsWith(prefix) ? m.substring(prefix.length()) : m);
        }
        TargetException e = new TargetException(message.toString(), retryable, failures.get(0));
        failures.subList(1, failures.size()).forEach(e::addSuppressed);
        return e;
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "tls=" + (tls != null) + ", connectTimeout=" + connectTimeoutMillis + "ms, commandTimeout="
                + commandTimeoutMillis + "ms";
    }
}
