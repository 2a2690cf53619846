package dev.rotakey.audit.stream;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.HttpsUrlPolicy;
import dev.rotakey.config.PositiveDurations;
import dev.rotakey.config.SecretSource;
import dev.rotakey.config.TlsFactory;
import dev.rotakey.outbound.JsonPostClient;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * An {@code ocsf-http} stream: OCSF JSON lines POSTed in batches to a collector's {@code url} (https unless
 * {@code allowHttp}), with {@code Authorization: Bearer} and the token read from {@code token} when it is set.
 */
@JsonTypeName("ocsf-http")
public class OcsfHttpStreamFactory extends AuditStreamFactory {
    @NotBlank
    private String url;
    private boolean allowHttp;
    @Valid
    private SecretSource token;
    @Valid
    private TlsFactory tls;
    @NotNull
    private Duration timeout = Duration.ofSeconds(10);

    @Override
    public AuditStreamSink build() {
        Map<String, String> headers = token == null ? Map.of()
                : Map.of("Authorization", "Bearer " + token.readString(key() + ".token"));
        return new OcsfHttpSink(URI.create(url), headers,
                new JsonPostClient(timeout, tls == null ? null : tls.sslContext(key() + ".tls")),
                new OcsfEvents(Jackson.newMinimalObjectMapper()));
    }

    @SelfValidation
    public void validateUrl(ViolationCollector violations) {
        HttpsUrlPolicy.check(violations, "url", url, allowHttp, "audit events");
        PositiveDurations.check(violations, "timeout", timeout);
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

    @JsonProperty
    public Duration getTimeout() {
        return timeout;
    }

    @JsonProperty
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }
}
