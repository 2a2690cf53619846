package dev.rotakey.targets.webhook;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.HttpsUrlPolicy;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.AbstractTargetFactory;
import dev.rotakey.config.TlsFactory;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.time.Clock;

/**
 * Configuration of a {@code webhook} target: the receiver's {@code url} (and optional
 * {@code verifyUrl}), the shared HMAC {@code secret}, a {@code timeout}, optional {@code tls} for a
 * private CA or mutual TLS, and {@code maxClockSkew}, the timestamp tolerance receivers are told to apply.
 */
@JsonTypeName("webhook")
@SelfValidating
public class WebhookTargetFactory extends AbstractTargetFactory {

    @NotEmpty
    private String url;
    private String verifyUrl;
    private boolean allowHttp;
    @NotNull
    @Valid
    private SecretSource secret;
    @NotNull
    private Duration timeout = Duration.seconds(10);
    @Valid
    private TlsFactory tls;
    @NotNull
    private Duration maxClockSkew = Duration.minutes(5);

    @JsonProperty
    public String getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(String url) {
        this.url = url;
    }

    @JsonProperty
    public String getVerifyUrl() {
        return verifyUrl;
    }

    @JsonProperty
    public void setVerifyUrl(String verifyUrl) {
        this.verifyUrl = verifyUrl;
    }

    @JsonProperty
    public boolean isAllowHttp() {
        return allowHttp;
    }

    @JsonProperty
    public void setAllowHttp(boolean allowHttp) {
        this.allowHttp = allowHttp;
    }

    @JsonProperty
    public SecretSource getSecret() {
        return secret;
    }

    @JsonProperty
    public void setSecret(SecretSource secret) {
        this.secret = secret;
    }

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

    /**
     * Not used by Rotakey itself, which always signs with the current time: the tolerance the
     * receivers of this target should apply to {@code Rotakey-Timestamp}, kept here so the config documents it.
     */
    @JsonProperty
    public Duration getMaxClockSkew() {
        return maxClockSkew;
    }

    @JsonProperty
    public void setMaxClockSkew(Duration maxClockSkew) {
        this.maxClockSkew = maxClockSkew;
    }

    /** Both URLs must be absolute https (or http with {@code allowHttp}) URLs with a host. */
    @SelfValidation
    public void validateUrls(ViolationCollector violations) {
        HttpsUrlPolicy.check(violations, "url", url, allowHttp, "credentials");
        HttpsUrlPolicy.check(violations, "verifyUrl", verifyUrl, allowHttp, "credentials");
        if (timeout != null && timeout.toMilliseconds() <= 0) {
            violations.addViolation("timeout", "must be positive");
        }
    }

    /** Reads the shared secret now, once: a missing or short secret fails the start, not the first rotation. */
    @Override
    public Target build(String name) {
        String key = "targets[" + name + "]";
        byte[] bytes = WebhookSignature.readKey(secret, key + ".secret");
        SSLContext ssl = tls == null ? null : tls.sslContext(key + ".tls");
        return new WebhookTarget(name, URI.create(url), verifyUrl == null || verifyUrl.isEmpty() ? null : URI.create(verifyUrl),
                bytes, java.time.Duration.ofMillis(timeout.toMilliseconds()), ssl, Clock.systemUTC());
    }

    @Override
    public String toString() {
        return "WebhookTargetFactory{url=" + url + ", verifyUrl=" + verifyUrl + ", allowHttp=" + allowHttp
                + ", secret=" + secret + ", timeout=" + timeout + ", tls=" + tls + ", maxClockSkew=" + maxClockSkew + "}";
    }
}
