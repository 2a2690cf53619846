package dev.rotakey.targets.hooks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.HttpsUrlPolicy;
import dev.rotakey.config.PositiveDurations;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import dev.rotakey.outbound.JsonPostClient;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.net.URI;
import java.util.Map;

/**
 * An {@code http} hook's configuration: the reload endpoint's {@code url} (https, or http with {@code allowHttp}),
 * the {@code method} (POST or PUT), a {@code timeout} (10 s), an optional bearer {@code token} read from a secret
 * source, and optional {@code tls} for a private CA or mutual TLS.
 */
@JsonTypeName("http")
public class HttpHookFactory extends ReloadHookFactory {
    @NotBlank
    private String url;
    private boolean allowHttp;
    @NotNull
    @Pattern(regexp = "POST|PUT", message = "must be POST or PUT")
    private String method = "POST";
    @NotNull
    private Duration timeout = Duration.seconds(10);
    @Valid
    private SecretSource token;
    @Valid
    private TlsFactory tls;

    /** Reads the token and the TLS files now, once: a missing token fails the start, not the first rotation. */
    @Override
    public ReloadHook build(String name) {
        String key = key(name);
        Map<String, String> headers = Map.of();
        if (token != null) {
            String value = token.readString(key + ".token");
            // A header cannot carry control characters or spaces: refused here without repeating the token, rather
            // than by the HTTP client at the first rotation with a message that might.
            if (!value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException(key
                        + ".token: holds characters an Authorization header cannot carry");
            }
            headers = Map.of("Authorization", "Bearer " + value);
        }
        JsonPostClient client = new JsonPostClient(timeout.toJavaDuration(),
                tls == null ? null : tls.sslContext(key + ".tls"));
        return new HttpHook(name, URI.create(url), method, headers, client);
    }

    @SelfValidation
    public void validateUrl(ViolationCollector violations) {
        HttpsUrlPolicy.check(violations, "url", url, allowHttp, "the hook's token and requests");
        PositiveDurations.check(violations, "timeout", timeout == null ? null : timeout.toJavaDuration());
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
    public String getMethod() {
        return method;
    }

    @JsonProperty
    public void setMethod(String method) {
        this.method = method;
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
    public SecretSource getToken() {
        return token;
    }

    @JsonProperty
    public void setToken(SecretSource token) {
        this.token = token;
    }

    @JsonProperty
    public TlsFactory getTls() {
        return tls;
    }

    @JsonProperty
    public void setTls(TlsFactory tls) {
        this.tls = tls;
    }

    /** The URL's host only: its query may carry a token. */
    @Override
    public String toString() {
        return "HttpHookFactory{host=" + (url == null ? null : hostOf(url)) + ", allowHttp=" + allowHttp + ", method="
                + method + ", timeout=" + timeout + ", token=" + token + ", tls=" + tls + "}";
    }

    private static String hostOf(String url) {
        try {
            return URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            return "(not a URL)";
        }
    }
}
