package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.alert.AlertSinkFactory;
import dev.rotakey.config.PositiveDurations;
import dev.rotakey.config.TlsFactory;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import javax.net.ssl.SSLContext;
import java.time.Duration;

/**
 * What every alert sink's configuration has, HTTP or SMTP: a {@code timeout} (default {@code PT10S})
 * for connecting and for the answer, and optional {@code tls} for a private CA or mutual TLS, read the
 * way the webhook target and Vault read theirs.
 */
public abstract class RemoteSinkFactory implements AlertSinkFactory {
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
        PositiveDurations.check(violations, "timeout", timeout);
    }

    /** {@code alerting.sinks[name]}: the prefix of every start-up message about this sink. */
    static String key(String name) {
        return "alerting.sinks[" + name + "]";
    }

    /** The SSL context of the sink named {@code name}, or null (the JDK's defaults) without a {@code tls} block. */
    SSLContext sslContext(String name) {
        return tls == null ? null : tls.sslContext(key(name) + ".tls");
    }
}
