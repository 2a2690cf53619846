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

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Configuration of an {@code alertmanager} alert sink: Alertmanager's base {@code url} (plain http
 * is allowed: Alertmanager usually listens on a private network), optional {@code bearerToken} or
 * {@code basicAuth}, {@code resolveTimeout} and an optional {@code generatorUrl}.
 *
 * <p>{@code resolveTimeout} (default {@code PT12H}) is the {@code endsAt} put on every firing
 * notification, so that Alertmanager resolves the alert by itself if Rotakey dies. Rotakey repeats a
 * firing alert every {@code alerting.repeatInterval} (default {@code PT4H}), so it must be longer
 * than that, or alerts would flap to resolved between two repeats.
 */
@JsonTypeName("alertmanager")
@SelfValidating
public class AlertmanagerSinkFactory extends HttpSinkFactory {
    @NotEmpty
    private String url;
    @Valid
    private SecretSource bearerToken;
    @Valid
    private BasicAuth basicAuth;
    @NotNull
    private Duration resolveTimeout = Duration.ofHours(12);
    private String generatorUrl;

    /** A user name and a password (from a {@link SecretSource}) for HTTP basic authentication, e.g. behind a proxy. */
    public static class BasicAuth {
        @NotEmpty
        private String username;
        @NotNull
        @Valid
        private SecretSource password;

        @JsonProperty
        public String getUsername() {
            return username;
        }

        @JsonProperty
        public void setUsername(String username) {
            this.username = username;
        }

        @JsonProperty
        public SecretSource getPassword() {
            return password;
        }

        @JsonProperty
        public void setPassword(SecretSource password) {
            this.password = password;
        }

        @Override
        public String toString() {
            return "BasicAuth{username=" + username + ", password=" + password + "}";
        }
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
    public SecretSource getBearerToken() {
        return bearerToken;
    }

    @JsonProperty
    public void setBearerToken(SecretSource bearerToken) {
        this.bearerToken = bearerToken;
    }

    @JsonProperty
    public BasicAuth getBasicAuth() {
        return basicAuth;
    }

    @JsonProperty
    public void setBasicAuth(BasicAuth basicAuth) {
        this.basicAuth = basicAuth;
    }

    @JsonProperty
    public Duration getResolveTimeout() {
        return resolveTimeout;
    }

    @JsonProperty
    public void setResolveTimeout(Duration resolveTimeout) {
        this.resolveTimeout = resolveTimeout;
    }

    @JsonProperty
    public String getGeneratorUrl() {
        return generatorUrl;
    }

    @JsonProperty
    public void setGeneratorUrl(String generatorUrl) {
        this.generatorUrl = generatorUrl;
    }

    @SelfValidation
    public void validate(ViolationCollector violations) {
        checkUrl(violations, "url", url, true);
        checkUrl(violations, "generatorUrl", generatorUrl, true);
        if (bearerToken != null && basicAuth != null) {
            violations.addViolation("bearerToken", "cannot be combined with basicAuth: choose one");
        }
        if (resolveTimeout != null && resolveTimeout.compareTo(Duration.ofMinutes(5)) < 0) {
            violations.addViolation("resolveTimeout",
                    "must be at least PT5M, and longer than alerting.repeatInterval");
        }
    }

    /** Reads the token or password now, once: a missing one fails the start, not the first alert. */
    @Override
    public AlertSink build(String name) {
        return build(name, Clock.systemUTC());
    }

    AlertmanagerSink build(String name, Clock clock) {
        String authorization = null;
        if (bearerToken != null) {
            authorization = "Bearer " + bearerToken.readString(key(name) + ".bearerToken");
        } else if (basicAuth != null) {
            String password = basicAuth.password.readString(key(name) + ".basicAuth.password");
            authorization = "Basic " + Base64.getEncoder().encodeToString(
                    (basicAuth.username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return new AlertmanagerSink(name, URI.create(base + "/api/v2/alerts"), authorization, resolveTimeout,
                generatorUrl == null || generatorUrl.isEmpty() ? null : generatorUrl, poster(name), clock);
    }

    @Override
    public String toString() {
        return "AlertmanagerSinkFactory{url=" + url + ", bearerToken=" + bearerToken + ", basicAuth=" + basicAuth
                + ", resolveTimeout=" + resolveTimeout + ", generatorUrl=" + generatorUrl
                + ", timeout=" + getTimeout() + ", tls=" + getTls() + "}";
    }
}
