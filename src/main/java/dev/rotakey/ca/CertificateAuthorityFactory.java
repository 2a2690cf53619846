package dev.rotakey.ca;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeySpec;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.bouncycastle.asn1.x500.X500Name;

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

    @JsonProperty
    public void setSubject(String subject) {
        this.subject = subject;
    }

    @JsonProperty
    public Duration getValidity() {
        return validity;
    }

    @JsonProperty
    public void setValidity(Duration validity) {
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
        return new X500Name(subject);
    }

    @JsonIgnore
    @ValidationMethod(message = "subject must be an X.500 name such as \"CN=Rotakey Agents CA,O=Rotakey\"")
    public boolean isSubjectWellFormed() {
        if (subject == null || subject.isBlank()) {
            // @NotEmpty reports it.
            return true;
        }
        try {
            return new X500Name(subject).getRDNs().length > 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @JsonIgnore
    @ValidationMethod(message = "validity must be at least one day")
    public boolean isValidityLongEnough() {
        return validity == null || validity.compareTo(Duration.ofDays(1)) >= 0;
    }
}
