package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.auth.Role;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import javax.security.auth.x500.X500Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code auth.mtls}: mutual TLS on the API port. Client certificates are checked against {@code authorities} (Rotakey's
 * own CAs by name, or CA files); one from the {@code agents} CA authenticates the agent its SPIFFE ID names, others get
 * the role their subject or SAN maps to in {@code roles}.
 */
public class MtlsFactory {
    private static final Pattern DNS_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private boolean enabled;
    @Valid
    @NotNull
    private List<AuthorityFactory> authorities = new ArrayList<>();
    @Valid
    private AgentsFactory agents;
    @Valid
    @NotNull
    private List<RoleMappingFactory> roles = new ArrayList<>();

    /** One trusted CA: a Rotakey CA by name, or a PEM file of CA certificates with an optional CRL file. */
    public static class AuthorityFactory {
        private String ca;
        private String caFile;
        private String crlFile;

        @JsonProperty
        public String getCa() {
            return ca;
        }

        @JsonProperty
        public void setCa(String ca) {
            this.ca = ca;
        }

        @JsonProperty
        public String getCaFile() {
            return caFile;
        }

        @JsonProperty
        public void setCaFile(String caFile) {
            this.caFile = caFile;
        }

        @JsonProperty
        public String getCrlFile() {
            return crlFile;
        }

        @JsonProperty
        public void setCrlFile(String crlFile) {
            this.crlFile = crlFile;
        }

        @JsonIgnore
        @ValidationMethod(message = "an authority is either {ca: <a certificateAuthorities name>} or {caFile: <path>[, crlFile: <path>]}")
        public boolean isOneKind() {
            boolean named = ca != null && !ca.isBlank();
            boolean file = caFile != null && !caFile.isBlank();
            return named != file && (crlFile == null || file);
        }

        /** How the authority is named in messages. */
        @Override
        public String toString() {
            return ca != null ? "ca " + ca : "caFile " + caFile;
        }
    }

    /** Which CA certifies agents, and the SPIFFE trust domain their IDs must be in. */
    public static class AgentsFactory {
        @NotNull
        private String ca;
        private String trustDomain;

        @JsonProperty
        public String getCa() {
            return ca;
        }

        @JsonProperty
        public void setCa(String ca) {
            this.ca = ca;
        }

        /** Null: the trust domain of the CA {@link #getCa()}. */
        @JsonProperty
        public String getTrustDomain() {
            return trustDomain;
        }

        @JsonProperty
        public void setTrustDomain(String trustDomain) {
            this.trustDomain = trustDomain;
        }

        @JsonIgnore
        @ValidationMethod(message = "trustDomain must be a lower-case DNS name")
        public boolean isTrustDomainWellFormed() {
            return trustDomain == null || (trustDomain.length() <= 255 && DNS_NAME.matcher(trustDomain).matches());
        }
    }

    /** One rule giving a role to the certificates whose subject, URI SAN or DNS SAN is exactly the one given. */
    public static class RoleMappingFactory {
        private String subject;
        private String uri;
        private String dns;
        @NotNull
        private String role;

        @JsonProperty
        public String getSubject() {
            return subject;
        }

        @JsonProperty
        public void setSubject(String subject) {
            this.subject = subject;
        }

        @JsonProperty
        public String getUri() {
            return uri;
        }

        @JsonProperty
        public void setUri(String uri) {
            this.uri = uri;
        }

        @JsonProperty
        public String getDns() {
            return dns;
        }

        @JsonProperty
        public void setDns(String dns) {
            this.dns = dns;
        }

        @JsonProperty
        public String getRole() {
            return role;
        }

        @JsonProperty
        public void setRole(String role) {
            this.role = role;
        }

        @JsonIgnore
        @ValidationMethod(message = "a role mapping names exactly one of subject, uri or dns")
        public boolean isOneMatch() {
            int n = (subject != null ? 1 : 0) + (uri != null ? 1 : 0) + (dns != null ? 1 : 0);
            return n == 1;
        }

        @JsonIgnore
        @ValidationMethod(message = "subject must be an X.500 name such as \"CN=prometheus,O=Example\"")
        public boolean isSubjectWellFormed() {
            if (subject == null) {
                return true;
            }
            try {
                new X500Principal(subject);
                return !subject.isBlank();
            } catch (IllegalArgumentException e) {
                return false;
            }
        }

        @JsonIgnore
        @ValidationMethod(message = "role must be one of admin, operator, auditor, monitor, verifier (owner needs a "
                + "token bound to its owner; agent comes only from a SPIFFE ID)")
        public boolean isRoleMappable() {
            return role == null || Role.of(role).map(r -> r != Role.OWNER && r != Role.AGENT).orElse(false);
        }

        /** The role; only after validation. */
        @JsonIgnore
        public Role role() {
            return Role.of(role).orElseThrow();
        }

        /** What the rule matches, as the caller's name: {@code subject:CN=…}, {@code uri:…} or {@code dns:…}. */
        @Override
        public String toString() {
            return subject != null ? "subject:" + subject : uri != null ? "uri:" + uri : "dns:" + dns.toLowerCase(Locale.ROOT);
        }
    }

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public List<AuthorityFactory> getAuthorities() {
        return authorities;
    }

    @JsonProperty
    public void setAuthorities(List<AuthorityFactory> authorities) {
        this.authorities = authorities;
    }

    @JsonProperty
    public AgentsFactory getAgents() {
        return agents;
    }

    @JsonProperty
    public void setAgents(AgentsFactory agents) {
        this.agents = agents;
    }

    @JsonProperty
    public List<RoleMappingFactory> getRoles() {
        return roles;
    }

    @JsonProperty
    public void setRoles(List<RoleMappingFactory> roles) {
        this.roles = roles;
    }

    @JsonIgnore
    @ValidationMethod(message = "enabled: true needs at least one authority")
    public boolean isAuthoritiesGivenWhenEnabled() {
        return !enabled || (authorities != null && !authorities.isEmpty());
    }

    @JsonIgnore
    @ValidationMethod(message = "agents.ca must be one of the authorities ({ca: <name>})")
    public boolean isAgentsCaTrusted() {
        return agents == null || agents.getCa() == null || authorities == null
                || authorities.stream().anyMatch(a -> agents.getCa().equals(a.getCa()));
    }

    @JsonIgnore
    @ValidationMethod(message = "enabled: true needs agents or roles: otherwise no certificate authenticates anyone")
    public boolean isSomeoneAuthenticated() {
        return !enabled || agents != null || (roles != null && !roles.isEmpty());
    }
}
