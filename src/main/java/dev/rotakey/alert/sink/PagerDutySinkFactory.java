package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

import java.net.URI;

/**
 * Configuration of a {@code pagerduty} alert sink (Events API v2): the service integration's
 * {@code routingKey} (a secret), the events {@code url} (PagerDuty's by default), the
 * {@code source} shown on incidents, {@code timeout} and optional {@code tls}.
 */
@JsonTypeName("pagerduty")
@SelfValidating
public class PagerDutySinkFactory extends HttpSinkFactory {
    static final String EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

    @NotNull
    @Valid
    private SecretSource routingKey;
    @NotEmpty
    private String url = EVENTS_URL;
    private boolean allowHttp;
    @NotEmpty
    @Size(max = 255)
    private String source = "rotakey";

    @JsonProperty
    public SecretSource getRoutingKey() {
        return routingKey;
    }

    @JsonProperty
    public void setRoutingKey(SecretSource routingKey) {
        this.routingKey = routingKey;
    }

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
    public String getSource() {
        return source;
    }

    @JsonProperty
    public void setSource(String source) {
        this.source = source;
    }

    @SelfValidation
    public void validateUrl(ViolationCollector violations) {
        checkUrl(violations, "url", url, allowHttp);
    }

    /** Reads the routing key now, once: a missing one fails the start, not the first page. */
    @Override
    public AlertSink build(String name) {
        String key = routingKey.readString(key(name) + ".routingKey").strip();
        return new PagerDutySink(name, URI.create(url), key, source, poster(name));
    }

    @Override
    public String toString() {
        return "PagerDutySinkFactory{routingKey=" + routingKey + ", url=" + url + ", allowHttp=" + allowHttp
                + ", source=" + source + ", timeout=" + getTimeout() + ", tls=" + getTls() + "}";
    }
}
