package dev.rotakey.alert.sink;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.config.SecretSource;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import javax.net.ssl.SSLContext;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Configuration of an {@code email} alert sink: the SMTP relay ({@code host}, {@code port}), how the
 * connection is protected ({@code security}: {@code starttls}, required, by default; {@code tls} for
 * SMTPS; {@code none} only with {@code allowInsecure}), optional {@code username} and
 * {@code password}, {@code from}, {@code to}, {@code subjectPrefix}, {@code tls} trust (a private CA,
 * a client certificate) and {@code timeout}. The server's host name is always verified.
 */
@JsonTypeName("email")
@SelfValidating
public class EmailSinkFactory extends RemoteSinkFactory {

    /** How the SMTP connection is protected. */
    public enum Security {
        /** Plain connection upgraded with STARTTLS before anything else; refused if the server does not offer it. */
        STARTTLS,
        /** TLS from the first byte (SMTPS, usually port 465). */
        TLS,
        /** No TLS at all: alerts and the password in clear text. Only with {@code allowInsecure: true}. */
        NONE
    }

    @NotEmpty
    private String host;
    @Min(1)
    @Max(65535)
    private int port = 587;
    @NotNull
    private Security security = Security.STARTTLS;
    private boolean allowInsecure;
    private String username;
    @Valid
    private SecretSource password;
    @NotEmpty
    private String from;
    @NotEmpty
    private List<String> to = new ArrayList<>();
    @NotNull
    private String subjectPrefix = "[rotakey]";

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
    public Security getSecurity() {
        return security;
    }

    @JsonProperty
    public void setSecurity(Security security) {
        this.security = security;
    }

    @JsonProperty
    public boolean isAllowInsecure() {
        return allowInsecure;
    }

    @JsonProperty
    public void setAllowInsecure(boolean allowInsecure) {
        this.allowInsecure = allowInsecure;
    }

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

    @JsonProperty
    public String getFrom() {
        return from;
    }

    @JsonProperty
    public void setFrom(String from) {
        this.from = from;
    }

    @JsonProperty
    public List<String> getTo() {
        return to;
    }

    @JsonProperty
    public void setTo(List<String> to) {
        this.to = to;
    }

    @JsonProperty
    public String getSubjectPrefix() {
        return subjectPrefix;
    }

    @JsonProperty
    public void setSubjectPrefix(String subjectPrefix) {
        this.subjectPrefix = subjectPrefix;
    }

    @SelfValidation
    public void validate(ViolationCollector violations) {
        if (security == Security.NONE && !allowInsecure) {
            violations.addViolation("security",
                    "none sends alerts (and any password) in clear text: use starttls or tls, or set allowInsecure: true");
        }
        if (getTls() != null && !getTls().isVerify() && !allowInsecure) {
            violations.addViolation("tls.verify", "false accepts any server: set allowInsecure: true if you mean it");
        }
        if ((username == null || username.isEmpty()) != (password == null)) {
            violations.addViolation(password == null ? "password" : "username", "must be set together with "
                    + (password == null ? "username" : "password"));
        }
        if (from != null && !from.isEmpty() && !isAddress(from)) {
            violations.addViolation("from", "is not an e-mail address");
        }
        if (to != null) {
            for (int i = 0; i < to.size(); i++) {
                if (to.get(i) == null || !isAddress(to.get(i))) {
                    violations.addViolation("to", i, "is not an e-mail address");
                }
            }
        }
        if (subjectPrefix != null && (subjectPrefix.indexOf('\r') >= 0 || subjectPrefix.indexOf('\n') >= 0)) {
            violations.addViolation("subjectPrefix", "must be on one line");
        }
    }

    private static boolean isAddress(String address) {
        try {
            new InternetAddress(address, true).validate();
            return !address.contains("<"); // one bare address, not a display-name list
        } catch (AddressException e) {
            return false;
        }
    }

    /** Reads the password now, once, and sets up the TLS trust: a problem with either fails the start. */
    @Override
    public AlertSink build(String name) {
        return build(name, Clock.systemUTC());
    }

    EmailSink build(String name, Clock clock) {
        String key = key(name);
        String secret = password == null ? null : password.readString(key + ".password");
        String protocol = security == Security.TLS ? "smtps" : "smtp";
        String p = "mail." + protocol + ".";
        Properties props = new Properties();
        props.put(p + "host", host);
        props.put(p + "port", Integer.toString(port));
        String millis = Long.toString(getTimeout().toMillis());
        props.put(p + "connectiontimeout", millis);
        props.put(p + "timeout", millis);
        props.put(p + "writetimeout", millis);
        props.put(p + "auth", Boolean.toString(secret != null));
        if (security != Security.NONE) {
            SSLContext context = sslContext(name);
            if (context == null) {
                try {
                    context = SSLContext.getDefault();
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            props.put(p + "ssl.socketFactory", new HostVerifyingSocketFactory(context.getSocketFactory()));
            if (security == Security.STARTTLS) {
                props.put(p + "starttls.enable", "true");
                // without this, a server (or a man in the middle) that leaves STARTTLS out gets the alert in clear
                props.put(p + "starttls.required", "true");
            } else {
                props.put(p + "ssl.enable", "true");
            }
        }
        List<InternetAddress> recipients = new ArrayList<>();
        try {
            for (String t : to) {
                recipients.add(new InternetAddress(t, true));
            }
            return new EmailSink(name, Session.getInstance(props), protocol, host, port, username, secret,
                    new InternetAddress(from, true), recipients, subjectPrefix, clock);
        } catch (AddressException e) {
            throw new IllegalArgumentException(key + ": not an e-mail address (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return "EmailSinkFactory{host=" + host + ", port=" + port + ", security=" + security + ", allowInsecure="
                + allowInsecure + ", username=" + username + ", password=" + password + ", from=" + from + ", to=" + to
                + ", subjectPrefix=" + subjectPrefix + ", tls=" + getTls() + ", timeout=" + getTimeout() + "}";
    }
}
