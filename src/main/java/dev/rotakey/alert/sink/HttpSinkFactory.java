package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.alert.AlertSinkFactory;
import dev.rotakey.config.HttpsUrlPolicy;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.Arrays;

/**
 * What every HTTP alert sink's configuration has: a {@code timeout} (default {@code PT10S}) for
 * connecting and for the answer, and optional {@code tls} for a private CA or mutual TLS, read the
 * way the webhook target and Vault read theirs.
 */
public abstract class HttpSinkFactory implements AlertSinkFactory {
    @NotNull
    private Duration timeout = Duration.ofSeconds(10);
    @Valid
    private TlsFactory tls;

    @JsonProperty
    public Duration getTimeout() {
        return timeout;
    }

    @JsonProperty
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @JsonProperty
    public TlsFactory getTls() {
        return tls;
    }

    @JsonProperty
    public void setTls(TlsFactory tls) {
        this.tls = tls;
    }

    @SelfValidation
    public void validateTimeout(ViolationCollector violations) {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            violations.addViolation("timeout", "must be positive");
        }
    }

    /** {@code alerting.sinks[name]}: the prefix of every start-up message about this sink. */
    static String key(String name) {
        return "alerting.sinks[" + name + "]";
    }

    /** The HTTP client of the sink named {@code name}, with this configuration's timeout and TLS. */
    JsonPoster poster(String name) {
        SSLContext ssl = tls == null ? null : tls.sslContext(key(name) + ".tls");
        return new JsonPoster(type() + " sink '" + name + "'", timeout, ssl);
    }

    /** The configured type, as in {@code @JsonTypeName}. */
    abstract String type();

    /** Why {@code value} is not an acceptable sink URL, or null (see {@link HttpsUrlPolicy}). */
    static String urlProblem(String value, boolean allowHttp) {
        return HttpsUrlPolicy.problem(value, allowHttp, "alerts");
    }

    /** Reads a secret as a string (for a header or a body field) and clears the read buffer. */
    static String readString(SecretSource source, String key) {
        char[] chars = source.read(key);
        try {
            return new String(chars);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }
}
