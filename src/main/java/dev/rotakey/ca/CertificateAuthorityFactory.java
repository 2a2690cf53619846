package dev.rotakey.ca;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeySpec;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.bouncycastle.asn1.x500.X500Name;

import javax.security.auth.x500.X500Principal;
import java.time.Duration;

/**
 * Configuration of one certificate authority: the key backend holding its key, the key spec, the
 * subject and validity of its root certificate, and the SPIFFE trust domain of the agents it certifies.
 */
public class CertificateAuthorityFactory {
    @NotEmpty
    private String backend;

    @NotNull
    private KeySpec keySpec = KeySpec.EC_P256;

    @NotEmpty
    private String subject;

    @NotNull
    private Duration validity = Duration.ofDays(3650);

    /** A DNS-like name (SPIFFE trust domains are lower-case labels of letters, digits and '-'). */
    @NotEmpty
    @Pattern(regexp = "(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*",
            message = "must be a lower-case DNS name such as rotakey.local")
    private String trustDomain;

    @JsonProperty
    public String getBackend() {
        return backend;
    }

    @JsonProperty
    public void setBackend(String backend) {
        this.backend = backend;
    }

    @JsonProperty
    public KeySpec getKeySpec() {
        return keySpec;
    }

    @JsonProperty
    public void setKeySpec(KeySpec keySpec) {
        this.keySpec = keySpec;
    }

    @JsonProperty
    public String getSubject() {
        return subject;
    }

    /** Checked here rather than by a validation method, so that the error names the full key. */
    @JsonProperty
    public void setSubject(String subject) {
        if (subject != null && !subject.isBlank()) {
            try {
                parseSubject(subject);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("must be an X.500 name such as \"CN=Rotakey Agents CA,O=Rotakey\"", e);
            }
        }
        this.subject = subject;
    }

    @JsonProperty
    public Duration getValidity() {
        return validity;
    }

    @JsonProperty
    public void setValidity(Duration validity) {
        if (validity != null && validity.compareTo(Duration.ofDays(1)) < 0) {
            throw new IllegalArgumentException("must be at least one day (P1D)");
        }
        this.validity = validity;
    }

    @JsonProperty
    public String getTrustDomain() {
        return trustDomain;
    }

    @JsonProperty
    public void setTrustDomain(String trustDomain) {
        this.trustDomain = trustDomain;
    }

    /** The subject as an X.500 name; call only after validation. */
    @JsonIgnore
    public X500Name subjectName() {
        return parseSubject(subject);
    }

    /**
     * Parses an RFC 4514 name as Java and OpenSSL's {@code -nameopt RFC2253} write it: most significant
     * RDN last, so "CN=Agents CA,O=Rotakey" is encoded O first. BouncyCastle's own string parser keeps
     * the written order, which would encode the name upside down.
     */
    public static X500Name parseSubject(String rfc4514) {
        return X500Name.getInstance(new X500Principal(rfc4514).getEncoded());
    }
}
