package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;

/**
 * Configuration of a {@code webhook} alert sink: the receiver's {@code url} (https unless
 * {@code allowHttp}), the shared HMAC {@code secret} (at least 32 bytes) that signs each
 * notification as the webhook target signs its events, {@code timeout} and optional {@code tls}.
 */
@JsonTypeName("webhook")
@SelfValidating
public class WebhookSinkFactory extends HttpSinkFactory {
    /** Shorter keys than the HMAC-SHA256 output would make guessing the key easier than forging a MAC. */
    static final int MIN_SECRET_BYTES = 32;

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
        String problem = url == null || url.isEmpty() ? null : urlProblem(url, allowHttp);
        if (problem != null) {
            violations.addViolation("url", problem);
        }
    }

    @Override
    String type() {
        return "webhook";
    }

    /** Reads the secret now, once: a missing or short secret fails the start, not the first alert. */
    @Override
    public AlertSink build(String name) {
        return build(name, Clock.systemUTC());
    }

    WebhookSink build(String name, Clock clock) {
        String key = key(name) + ".secret";
        char[] chars = secret.read(key);
        byte[] bytes;
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
            bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            if (encoded.hasArray()) {
                Arrays.fill(encoded.array(), (byte) 0);
            }
        } finally {
            Arrays.fill(chars, '\0');
        }
        if (bytes.length < MIN_SECRET_BYTES) {
            Arrays.fill(bytes, (byte) 0);
            throw new SecretUnavailableException(key + ": must be at least " + MIN_SECRET_BYTES
                    + " bytes (e.g. openssl rand -hex 32)");
        }
        return new WebhookSink(name, URI.create(url), bytes, poster(name), clock);
    }

    @Override
    public String toString() {
        return "WebhookSinkFactory{url=" + url + ", allowHttp=" + allowHttp + ", secret=" + secret
                + ", timeout=" + getTimeout() + ", tls=" + getTls() + "}";
    }
}
