package dev.rotakey.ca;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeySpec;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.bouncycastle.asn1.x500.X500Name;

import javax.security.auth.x500.X500Principal;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * Configuration of one certificate authority: the key backend holding its key, the key spec, the
 * subject and validity of its certificate, its parent CA (intermediates), the SPIFFE trust domain of
 * the agents it certifies, and where and for how long its CRLs are published.
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

    /** Another configured CA that signs this one's certificate; none for a self-signed root. */
    private String parent;

    /** Where relying parties fetch CRLs: leaves name {@code <crlBaseUrl>/api/v1/cas/<name>/crl?generation=<g>}. */
    @NotNull
    private String crlBaseUrl = "http://localhost:8080";

    @NotNull
    private Duration crlValidity = Duration.ofDays(1);

    /** Optional file that always holds the ACTIVE generation's CRL (DER), for web servers that read CRLs from disk. */
    private String crlFile;

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

    @JsonProperty
    public String getParent() {
        return parent;
    }

    @JsonProperty
    public void setParent(String parent) {
        this.parent = parent == null || parent.isBlank() ? null : parent;
    }

    @JsonProperty
    public String getCrlBaseUrl() {
        return crlBaseUrl;
    }

    /** Trailing slashes are dropped, so that "http://ca.example/" does not give "//api/v1/…" in certificates. */
    @JsonProperty
    public void setCrlBaseUrl(String crlBaseUrl) {
        if (crlBaseUrl == null) {
            this.crlBaseUrl = null;
            return;
        }
        String url = crlBaseUrl.strip();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("must be an http or https URL such as https://ca.example.org (" + e.getMessage() + ")", e);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("must be an http or https URL without query or fragment, such as https://ca.example.org");
        }
        this.crlBaseUrl = url;
    }

    @JsonProperty
    public Duration getCrlValidity() {
        return crlValidity;
    }

    @JsonProperty
    public void setCrlValidity(Duration crlValidity) {
        if (crlValidity != null && crlValidity.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("must be at least one hour (PT1H)");
        }
        this.crlValidity = crlValidity;
    }

    @JsonProperty
    public String getCrlFile() {
        return crlFile;
    }

    @JsonProperty
    public void setCrlFile(String crlFile) {
        this.crlFile = crlFile == null || crlFile.isBlank() ? null : crlFile;
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
