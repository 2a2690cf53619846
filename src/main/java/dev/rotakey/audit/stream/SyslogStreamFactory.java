package dev.rotakey.audit.stream;

import com.cloudbees.syslog.Facility;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.config.PositiveDurations;
import dev.rotakey.config.TlsFactory;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.time.Duration;
import java.util.Locale;

/**
 * A {@code syslog} stream: RFC 5424 messages with structured data over TLS (RFC 5425) to {@code host}:{@code port}
 * (6514), checked against {@code tls} (required: audit events do not cross a network in clear), with Rotakey's
 * client certificate when the server asks for one.
 */
@JsonTypeName("syslog")
public class SyslogStreamFactory extends AuditStreamFactory {
    @NotBlank
    private String host;
    @Min(1)
    @Max(65535)
    private int port = 6514;
    @Valid
    @NotNull
    private TlsFactory tls;
    /** The HOSTNAME field; this machine's name when absent. */
    @Pattern(regexp = "[!-~]{1,255}", message = "must be 1 to 255 printable US-ASCII characters")
    private String hostname;
    @Pattern(regexp = "[!-~]{1,48}", message = "must be 1 to 48 printable US-ASCII characters")
    private String appName = "rotakey";
    @NotNull
    private String facility = "authpriv";
    /** The private enterprise number in the structured data's id; 32473 is the one RFC 5612 reserves for examples. */
    @Min(1)
    private int enterpriseNumber = 32473;
    @NotNull
    private Duration connectTimeout = Duration.ofSeconds(10);
    @NotNull
    private Duration confirmWait = Duration.ofMillis(50);

    @Override
    public AuditStreamSink build() {
        return new TlsSyslogSink(host, port, tls.sslContext(key() + ".tls"), tls.isVerify(), connectTimeout,
                confirmWait, new SyslogFormat(hostname, appName, facility(), enterpriseNumber));
    }

    Facility facility() {
        return Facility.fromLabel(facility.toUpperCase(Locale.ROOT));
    }

    @SelfValidation
    public void validateFacility(ViolationCollector violations) {
        if (facility != null) {
            try {
                Facility.fromLabel(facility.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                violations.addViolation("facility", "must be a syslog facility name (authpriv, local0 … local7, …)");
            }
        }
        PositiveDurations.check(violations, "connectTimeout", connectTimeout);
        if (confirmWait != null && (confirmWait.isNegative() || confirmWait.toSeconds() > 10)) {
            violations.addViolation("confirmWait", "must be between 0 and 10 seconds");
        }
    }

    @JsonProperty
    public String getHost() {
        return host;
    }

    @JsonProperty
    public void setHost(String host) {
        this.host = host;
    }

    @JsonProperty
    public int getPort() {
        return port;
    }

    @JsonProperty
    public void setPort(int port) {
        this.port = port;
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
    public String getHostname() {
        return hostname;
    }

    @JsonProperty
    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    @JsonProperty
    public String getAppName() {
        return appName;
    }

    @JsonProperty
    public void setAppName(String appName) {
        this.appName = appName;
    }

    @JsonProperty
    public String getFacility() {
        return facility;
    }

    @JsonProperty
    public void setFacility(String facility) {
        this.facility = facility;
    }

    @JsonProperty
    public int getEnterpriseNumber() {
        return enterpriseNumber;
    }

    @JsonProperty
    public void setEnterpriseNumber(int enterpriseNumber) {
        this.enterpriseNumber = enterpriseNumber;
    }

    @JsonProperty
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    @JsonProperty
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    @JsonProperty
    public Duration getConfirmWait() {
        return confirmWait;
    }

    @JsonProperty
    public void setConfirmWait(Duration confirmWait) {
        this.confirmWait = confirmWait;
    }
}
