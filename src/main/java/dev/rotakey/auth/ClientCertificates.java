package dev.rotakey.auth;

import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.TrustedGeneration;
import dev.rotakey.config.MtlsFactory;
import dev.rotakey.db.NotifiedCache;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a client certificate presented on the API port authenticates, if anyone: the chain is validated by the JDK's
 * PKIX validator against each configured authority with its CRLs as they are now; one from the agents' CA names the
 * agent of its SPIFFE ID ({@link Role#AGENT}), one from another authority gets the role its subject or SAN is mapped
 * to. Certificates of the agents' CA never get a mapped role: anyone who may create an agent could choose its name.
 */
public final class ClientCertificates {
    /** id-kp-clientAuth: a certificate whose extended key usage leaves it out is not a client's. */
    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final Pattern SPIFFE_AGENT = Pattern.compile("spiffe://([^/]+)/agent/([A-Za-z0-9][A-Za-z0-9._-]{0,127})");
    private static final int SAN_URI = 6;
    private static final int SAN_DNS = 2;

    private final List<ClientCertificateAuthority> authorities;
    private final String agentsCa;
    private final String trustDomain;
    private final List<MtlsFactory.RoleMappingFactory> roles;
    private final Clock clock;

    /** What a certificate authenticates: an operator, or a refusal with the reason, for the 401 and the audit. */
    public sealed interface Outcome permits Identified, Refused {
    }

    /** The certificate is valid and maps to this caller. */
    public record Identified(Operator operator) implements Outcome {
    }

    /** The certificate authenticates nobody, for this reason. */
    public record Refused(String problem) implements Outcome {
    }

    /**
     * @param agentsCa    the Rotakey CA whose certificates name agents (null: none do)
     * @param trustDomain the SPIFFE trust domain agents' IDs must be in (with {@code agentsCa})
     */
    ClientCertificates(List<ClientCertificateAuthority> authorities, String agentsCa, String trustDomain,
                       List<MtlsFactory.RoleMappingFactory> roles, Clock clock) {
        this.authorities = List.copyOf(authorities);
        this.agentsCa = agentsCa;
        this.trustDomain = trustDomain;
        this.roles = List.copyOf(roles);
        this.clock = clock;
    }

    /** From a validated {@code auth.mtls}; null when it is not enabled. */
    public static ClientCertificates of(MtlsFactory config, CertificateAuthorities cas,
                                        NotifiedCache<String, List<TrustedGeneration>> trustedCas,
                                        java.util.function.Function<String, String> trustDomainOfCa, Clock clock) {
        if (!config.isEnabled()) {
            return null;
        }
        List<ClientCertificateAuthority> list = new ArrayList<>();
        for (int i = 0; i < config.getAuthorities().size(); i++) {
            MtlsFactory.AuthorityFactory a = config.getAuthorities().get(i);
            list.add(a.getCa() != null ? new RotakeyCaAuthority(cas, a.getCa(), trustedCas)
                    : new FileCaAuthority("auth.mtls.authorities[" + i + "]", Path.of(a.getCaFile()),
                    a.getCrlFile() == null ? null : Path.of(a.getCrlFile())));
        }
        MtlsFactory.AgentsFactory agents = config.getAgents();
        String ca = agents == null ? null : agents.getCa();
        String domain = agents == null ? null
                : agents.getTrustDomain() != null ? agents.getTrustDomain() : trustDomainOfCa.apply(ca);
        return new ClientCertificates(list, ca, domain, config.getRoles(), clock);
    }

    /**
     * Who {@code chain} (leaf first, as the client sent it) authenticates now.
     *
     * @throws RuntimeException when an authority's trust cannot be read now (the database, a CA not created yet)
     */
    public Outcome authenticate(X509Certificate[] chain) {
        if (chain == null || chain.length == 0) {
            return new Refused("no client certificate");
        }
        X509Certificate leaf = chain[0];
        String problem = null;
        for (ClientCertificateAuthority authority : authorities) {
            Optional<String> failure = validate(authority, List.of(chain));
            if (failure.isEmpty()) {
                return identify(authority, leaf);
            }
            if (problem == null && !failure.get().isEmpty()) {
                problem = failure.get();
            }
        }
        return new Refused(describe(leaf) + ": " + (problem != null ? problem
                : "not issued by a certificate authority this server trusts"));
    }

    /** The CA certificates clients are told to choose a certificate by; none when they cannot be read now. */
    public X509Certificate[] acceptedIssuers() {
        List<X509Certificate> issuers = new ArrayList<>();
        for (ClientCertificateAuthority authority : authorities) {
            try {
                issuers.addAll(authority.trust().anchors());
            } catch (RuntimeException e) {
                // Only a hint to the client: the check at request time is what decides.
            }
        }
        return issuers.toArray(X509Certificate[]::new);
    }

    /**
     * Empty when some prefix of the chain validates against {@code authority}; else the reason ({@code ""} when the
     * chain does not even reach one of its anchors, so that a more telling reason of another authority wins).
     */
    private Optional<String> validate(ClientCertificateAuthority authority, List<X509Certificate> chain) {
        ClientCertificateAuthority.Trust trust = authority.trust();
        if (trust.anchors().isEmpty()) {
            return Optional.of("");
        }
        String reason = "";
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            // One anchor at a time, with only its own CRL of those in its name: generations of a rotated CA share their
            // name, and given them all at once PKIX accepts a newer generation's CRL (reached through that anchor as a
            // "new key" of the issuer) for a certificate of an older one, hiding its revocation; and one CRL it cannot
            // verify makes it give up on the others.
            for (X509Certificate anchor : trust.anchors()) {
                PKIXParameters params = parameters(anchor, trust.crls().stream().filter(crl -> !crl.getIssuerX500Principal()
                        .equals(anchor.getSubjectX500Principal()) || signedBy(crl, anchor)).toList(), trust.checkRevocation());
                // The client may send intermediates and the root: the path is the shortest prefix PKIX accepts.
                for (int k = 1; k <= chain.size(); k++) {
                    CertPath path = factory.generateCertPath(chain.subList(0, k));
                    try {
                        validator.validate(path, params);
                        return Optional.empty();
                    } catch (CertPathValidatorException e) {
                        if (reason.isEmpty()) {
                            reason = reason(e);
                        }
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot validate a client certificate: " + e.getMessage(), e);
        }
        return Optional.of(reason);
    }

    private static boolean signedBy(java.security.cert.X509CRL crl, X509Certificate anchor) {
        try {
            crl.verify(anchor.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private PKIXParameters parameters(X509Certificate anchor, List<java.security.cert.X509CRL> crls, boolean checkRevocation)
            throws GeneralSecurityException {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setDate(Date.from(clock.instant()));
        params.setRevocationEnabled(checkRevocation);
        params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
        X509CertSelector clientCertificate = new X509CertSelector();
        try {
            clientCertificate.setExtendedKeyUsage(Set.of(CLIENT_AUTH));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the clientAuth OID does not parse", e);
        }
        params.setTargetCertConstraints(clientCertificate);
        return params;
    }

    /** Why PKIX refused, in words for the 401 and the audit; {@code ""} for "reaches none of the anchors". */
    private static String reason(CertPathValidatorException e) {
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) {
            return "";
        }
        if (e.getReason() instanceof CertPathValidatorException.BasicReason basic) {
            return switch (basic) {
                case REVOKED -> "revoked";
                case EXPIRED -> "expired";
                case NOT_YET_VALID -> "not yet valid";
                case UNDETERMINED_REVOCATION_STATUS -> "its revocation status cannot be determined (no current CRL)";
                case INVALID_SIGNATURE -> "a signature in its chain does not verify";
                case ALGORITHM_CONSTRAINED -> "an algorithm or key size of its chain is not allowed";
                case UNSPECIFIED -> e.getMessage() != null && e.getMessage().contains("target certificate constraints")
                        ? "not for client authentication (extended key usage)" : "invalid (" + e.getMessage() + ")";
                default -> "invalid (" + e.getMessage() + ")";
            };
        }
        return "invalid (" + e.getMessage() + ")";
    }

    /** The caller a validated certificate names. */
    private Outcome identify(ClientCertificateAuthority authority, X509Certificate leaf) {
        if (authority.rotakeyCa() != null && authority.rotakeyCa().equals(agentsCa)) {
            List<String> spiffe = names(leaf, SAN_URI).stream().filter(u -> u.regionMatches(true, 0, "spiffe:", 0, 7)).toList();
            if (spiffe.size() != 1) {
                return new Refused(describe(leaf) + ": an agent's certificate carries exactly one SPIFFE ID");
            }
            Matcher m = SPIFFE_AGENT.matcher(spiffe.get(0));
            if (!m.matches()) {
                return new Refused(describe(leaf) + ": its SPIFFE ID is not spiffe://<trust domain>/agent/<id>");
            }
            if (!m.group(1).equals(trustDomain)) {
                return new Refused(describe(leaf) + ": its SPIFFE ID is not in the trust domain " + trustDomain);
            }
            return new Identified(Operator.certificate(spiffe.get(0), Role.AGENT, m.group(2)));
        }
        for (MtlsFactory.RoleMappingFactory rule : roles) {
            if (matches(rule, leaf)) {
                return new Identified(Operator.certificate("cert:" + rule, rule.role(), null));
            }
        }
        return new Refused(describe(leaf) + ": valid, but auth.mtls.roles maps it to no role");
    }

    private static boolean matches(MtlsFactory.RoleMappingFactory rule, X509Certificate leaf) {
        if (rule.getSubject() != null) {
            // X500Principal compares canonical forms: case and spacing of the configured name do not matter.
            return new javax.security.auth.x500.X500Principal(rule.getSubject()).equals(leaf.getSubjectX500Principal());
        }
        if (rule.getUri() != null) {
            return names(leaf, SAN_URI).contains(rule.getUri());
        }
        return names(leaf, SAN_DNS).stream().anyMatch(d -> d.equalsIgnoreCase(rule.getDns()));
    }

    private static List<String> names(X509Certificate leaf, int type) {
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans == null) {
                return List.of();
            }
            return sans.stream().filter(san -> san.size() == 2 && Integer.valueOf(type).equals(san.get(0))
                    && san.get(1) instanceof String).map(san -> (String) san.get(1)).toList();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    /** The certificate in refusals and audit events: its subject (escaped, at most 200 characters) and serial. */
    static String describe(X509Certificate leaf) {
        String subject = leaf.getSubjectX500Principal().getName();
        if (subject.length() > 200) {
            subject = subject.substring(0, 200) + "…";
        }
        return "client certificate \"" + subject + "\" (serial " + leaf.getSerialNumber().toString(16).toLowerCase(Locale.ROOT) + ")";
    }
}
