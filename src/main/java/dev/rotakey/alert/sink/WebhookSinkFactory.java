package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.targets.webhook.WebhookSignature;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.time.Clock;

/**
 * Configuration of a {@code webhook} alert sink: the receiver's {@code url} (https unless
 * {@code allowHttp}), the shared HMAC {@code secret} (at least 32 bytes) that signs each
 * notification as the webhook target signs its events, {@code timeout} and optional {@code tls}.
 */
@JsonTypeName("webhook")
@SelfValidating
public class WebhookSinkFactory extends HttpSinkFactory {

    @NotEmpty
    private String url;
    private boolean allowHttp;
    @NotNull
    @Valid
    private SecretSource secret;

    @JsonProperty
    public String getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(String url) {
        this.url = url;
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

    @SelfValidation
    public void validateUrl(ViolationCollector violations) {
        checkUrl(violations, "url", url, allowHttp);
    }

    /** Reads the secret now, once: a missing or short secret fails the start, not the first alert. */
    @Override
    public AlertSink build(String name) {
        return build(name, Clock.systemUTC());
    }

    WebhookSink build(String name, Clock clock) {
        String key = key(name) + ".secret";
        byte[] bytes = WebhookSignature.readKey(secret, key);
        return new WebhookSink(name, URI.create(url), bytes, poster(name), clock);
    }

    @Override
    public String toString() {
        return "WebhookSinkFactory{url=" + url + ", allowHttp=" + allowHttp + ", secret=" + secret
                + ", timeout=" + getTimeout() + ", tls=" + getTls() + "}";
    }
}
