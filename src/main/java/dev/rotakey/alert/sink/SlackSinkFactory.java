package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.SecretUnavailableException;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.net.URI;

/**
 * Configuration of a {@code slack} alert sink: the incoming webhook's {@code url}, which is a secret
 * (anyone who has it can post to the channel) and so comes from a {@link SecretSource}, an optional
 * {@code channel} override, {@code timeout} and optional {@code tls}.
 */
@JsonTypeName("slack")
@SelfValidating
public class SlackSinkFactory extends HttpSinkFactory {
    @NotNull
    @Valid
    private SecretSource url;
    /** For tests against a loopback server only: Slack's webhooks are https. */
    private boolean allowHttp;
    @Pattern(regexp = "[#@]?[A-Za-z0-9._-]{1,80}", message = "must be a channel name such as #rotakey-alerts")
    private String channel;

    @JsonProperty
    public SecretSource getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(SecretSource url) {
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
    public String getChannel() {
        return channel;
    }

    @JsonProperty
    public void setChannel(String channel) {
        this.channel = channel;
    }

    /** Reads the webhook URL now, once, and checks it without ever quoting it. */
    @Override
    public AlertSink build(String name) {
        String key = key(name) + ".url";
        String secretUrl = url.readString(key).strip();
        String problem = urlProblem(secretUrl, allowHttp);
        if (problem != null) {
            throw new SecretUnavailableException(key + ": the URL read from " + url + " " + problem);
        }
        return new SlackSink(name, URI.create(secretUrl), channel, poster(name));
    }

    @Override
    public String toString() {
        return "SlackSinkFactory{url=" + url + ", allowHttp=" + allowHttp + ", channel=" + channel
                + ", timeout=" + getTimeout() + ", tls=" + getTls() + "}";
    }
}
