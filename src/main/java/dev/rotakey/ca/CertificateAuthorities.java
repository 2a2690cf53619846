package dev.rotakey.ca;

import dev.rotakey.StartupException;
import dev.rotakey.api.CertificateAuthorityView;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.CrlDao.CrlRecord;
import dev.rotakey.db.Daos;
import dev.rotakey.db.IssuedCertificateDao.CaGeneration;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The configured certificate authorities: creates each CA's key in its backend and its certificate
 * (self-signed, or signed by its parent CA) once, issues and revokes agents' leaf certificates,
 * publishes chains and CRLs, and rotates CA generations (ACTIVE → RETIRING → RETIRED). An existing
 * CA is never regenerated; the database is the source of truth, so several nodes can share it.
 */
public final class CertificateAuthorities implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthorities.class);
    static final String ACTIVE = "ACTIVE";
    static final String RETIRING = "RETIRING";
    static final String RETIRED = "RETIRED";
    /** The health check warns this long before the ACTIVE certificate of a CA expires. */
    public static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    private static final String ACTOR = "rotakey";
    private static final int ISSUE_ATTEMPTS = 3;

    private final Map<String, CertificateAuthorityFactory> configs;
    /** Configured names, parents before their children. */
    private final List<String> creationOrder;
    /** How many CA levels each CA has below it, for an intermediate's path length constraint. */
    private final Map<String, Integer> depthBelow;
    private final KeyBackends backends;
    private final Store store;
    private final Clock clock;
    private final AuditLog audit;
    private final SecureRandom random = new SecureRandom();
    private final RootCertificateBuilder roots;
    private final IntermediateCertificateBuilder intermediates;
    private final LeafCertificateBuilder leaves;
    private final CrlBuilder crls = new CrlBuilder();
    /** Signing key handles by alias: a backend lookup scans every object of a PKCS#11 token, so each alias is looked up once. */
    private final ConcurrentMap<String, SigningKey> keys = new ConcurrentHashMap<>();
    /** Parsed CA certificates by "name/generation"; they never change once written. */
    private final ConcurrentMap<String, X509Certificate> certificates = new ConcurrentHashMap<>();
    /** The number of the CRL last written to each CA's {@code crlFile} by this node. */
    private final Map<String, Long> writtenCrlNumbers = new ConcurrentHashMap<>();

    /**
     * {@code configs}' backend names must have been checked against {@code backends}. A parent that
     * is not configured, or a cycle of parents, stops start-up naming {@code certificateAuthorities.<name>.parent}.
     */
    public CertificateAuthorities(Map<String, CertificateAuthorityFactory> configs, KeyBackends backends, Store store,
                                  Clock clock) {
        this.configs = new LinkedHashMap<>(configs);
        this.creationOrder = creationOrder(this.configs);
        this.depthBelow = depthBelow(this.configs);
        this.backends = backends;
        this.store = store;
        this.clock = clock;
        this.audit = new AuditLog(store, clock);
        this.roots = new RootCertificateBuilder(random, clock);
        this.intermediates = new IntermediateCertificateBuilder(clock);
        this.leaves = new LeafCertificateBuilder(clock);
    }

    private static List<String> creationOrder(Map<String, CertificateAuthorityFactory> configs) {
        Set<String> ordered = new LinkedHashSet<>();
        for (String name : configs.keySet()) {
            List<String> path = new ArrayList<>();
            String current = name;
            // Walk up to a root (or an already ordered CA), then add the path top-down.
            while (current != null && !ordered.contains(current)) {
                if (path.contains(current)) {
                    path.add(current);
                    throw new StartupException("certificateAuthorities." + current + ".parent: the parents form a cycle ("
                            + String.join(" -> ", path.subList(path.indexOf(current), path.size())) + ")");
                }
                path.add(current);
                String parent = configs.get(current).getParent();
                if (parent != null && !configs.containsKey(parent)) {
                    throw new StartupException("certificateAuthorities." + current + ".parent: no certificate authority named '"
                            + parent + "' is configured (certificateAuthorities: " + String.join(", ", configs.keySet()) + ")");
                }
                current = parent;
            }
            for (int i = path.size() - 1; i >= 0; i--) {
                ordered.add(path.get(i));
            }
        }
        return List.copyOf(ordered);
    }

    private static Map<String, Integer> depthBelow(Map<String, CertificateAuthorityFactory> configs) {
        Map<String, Integer> depth = new LinkedHashMap<>();
        configs.keySet().forEach(n -> depth.put(n, 0));
        for (String name : configs.keySet()) {
            int level = 1;
            for (String p = configs.get(name).getParent(); p != null; p = configs.get(p).getParent(), level++) {
                depth.merge(p, level, Math::max);
            }
        }
        return depth;
    }

    /** Creates the CAs that do not exist yet (parents first) and signs missing CRLs; an offline backend is logged and left for later. */
    @Override
    public void start() {
        for (String name : creationOrder) {
            try {
                if (ensureCreated(name)) {
                    LOG.info("certificate authority {} created in key backend {}", name, configs.get(name).getBackend());
                }
            } catch (KeyBackendException | CertificateAuthorityNotReadyException e) {
                // Start-up goes on: the API-key side works without the CA, and the chain answers 503 meanwhile.
                LOG.warn("certificate authority {} is not initialised yet (key backend {}: {}); retried when it is used "
                        + "and at the next start", name, configs.get(name).getBackend(), e.getMessage());
            }
        }
        refreshCrls();
    }

    /**
     * The PEM chain of the CA {@code name}: its generations that are not RETIRED, newest first, then
     * its parent's chain. Tries to create a CA that an offline backend kept from being created at start-up.
     */
    public String chainPem(String name) {
        requireConfigured(name);
        List<CaRecord> generations = createdGenerations(name);
        StringBuilder chain = new StringBuilder();
        for (int i = generations.size() - 1; i >= 0; i--) {
            if (!RETIRED.equals(generations.get(i).state())) {
                chain.append(generations.get(i).certificatePem());
            }
        }
        String parent = configs.get(name).getParent();
        if (parent != null) {
            chain.append(chainPem(parent));
        }
        return chain.toString();
    }

    /** Whether a CA named {@code name} is configured. */
    public boolean isConfigured(String name) {
        return configs.containsKey(name);
    }

    /** The configured CA names, in configuration order. */
    public List<String> names() {
        return List.copyOf(configs.keySet());
    }

    /**
     * Refuses (with {@link RejectedException#invalid} on the field {@code validity}) a leaf validity
     * that this CA cannot honour: not positive, or reaching past the issuing CA certificate's notAfter.
     * Unknown CA: {@code RejectedException.invalid("ca", …)} naming the configured CAs.
     */
    public void checkLeafRequest(String caName, Duration validity) {
        checkCa(caName);
        if (validity == null || validity.isZero() || validity.isNegative()) {
            throw RejectedException.invalid("validity", "must be a positive duration such as P30D, not " + validity);
        }
        CaRecord active = activeGeneration(caName);
        Instant caNotAfter = certificate(active).getNotAfter().toInstant();
        Instant end = clock.instant().plus(validity);
        if (end.isAfter(caNotAfter)) {
            throw RejectedException.invalid("validity", validity + " would end at " + end + ", after the certificate of CA '"
                    + caName + "' (generation " + active.generation() + ") expires at " + caNotAfter
                    + "; ask for at most " + Duration.between(clock.instant(), caNotAfter).toDays() + " days");
        }
    }

    /**
     * Issues a leaf certificate from the CA's current (ACTIVE) generation, signing inside the key
     * backend, and records it in the CA's ledger under {@code request.credentialId()} and
     * {@code request.version()} before returning. Throws {@link KeyBackendException} (retryable
     * when the backend is offline) or {@link CertificateAuthorityNotReadyException}. A validity that
     * would outlive the CA certificate (which has aged since {@link #checkLeafRequest}) ends with it.
     */
    public IssuedCertificate issue(String caName, LeafRequest request) {
        checkCa(caName);
        activeGeneration(caName);
        CertificateAuthorityFactory config = configs.get(caName);
        String spiffeId = "spiffe://" + config.getTrustDomain() + "/agent/" + request.agentId();
        for (int attempt = 1; ; attempt++) {
            BigInteger serial = new BigInteger(64, random).setBit(64);
            try {
                IssuedCertificate issued = store.tx(d -> {
                    // The CA lock: a rotation that commits first is seen below, one that commits later waits for this issue.
                    d.certificateAuthorities().lock(caName);
                    CaRecord active = d.certificateAuthorities().active(caName).orElseThrow(() ->
                            new CertificateAuthorityNotReadyException("CA " + caName + " has no ACTIVE generation"));
                    if (d.issuedCertificates().exists(hex(serial))) {
                        throw new DuplicateSerialException();
                    }
                    X509Certificate caCertificate = certificate(active);
                    Instant caNotAfter = caCertificate.getNotAfter().toInstant();
                    if (!caNotAfter.isAfter(clock.instant())) {
                        throw new CertificateAuthorityNotReadyException("the certificate of CA " + caName + " generation "
                                + active.generation() + " expired at " + caNotAfter + ": rotate the CA (POST /tasks/rotate-ca?ca="
                                + caName + ")");
                    }
                    LeafRequest bounded = request;
                    if (clock.instant().plus(request.validity()).isAfter(caNotAfter)) {
                        bounded = new LeafRequest(request.agentId(), request.credentialId(), request.version(),
                                request.publicKey(), Duration.between(clock.instant(), caNotAfter), request.dnsNames(),
                                request.uris());
                    }
                    X509Certificate leaf = leaves.build(key(active), caCertificate, serial, bounded, spiffeId,
                            crlUrl(config, caName, active.generation()));
                    d.issuedCertificates().insert(new IssuedRecord(hex(serial), caName, active.generation(),
                            request.credentialId(), request.version(), request.agentId(), leaf.getNotBefore().toInstant(),
                            leaf.getNotAfter().toInstant(), clock.instant(), null, null));
                    audit.record(d, ACTOR, AuditAction.CERTIFICATE_ISSUED,
                            "credential:" + request.credentialId() + "/v" + request.version(), "ok",
                            "ca=" + caName + " generation=" + active.generation() + " serial=" + hex(serial)
                                    + " notAfter=" + leaf.getNotAfter().toInstant());
                    return new IssuedCertificate(caName, active.generation(), leaf, chainOf(d, active));
                });
                return issued;
            } catch (DuplicateSerialException e) {
                if (attempt >= ISSUE_ATTEMPTS) {
                    throw new IllegalStateException("no unused serial after " + attempt + " attempts: is the RNG broken?");
                }
            } catch (RuntimeException e) {
                // A serial taken by a concurrent issue of another CA fails on the primary key: try another one.
                if (attempt < ISSUE_ATTEMPTS && !(e instanceof KeyBackendException)
                        && store.read(d -> d.issuedCertificates().exists(hex(serial)))) {
                    continue;
                }
                throw e;
            }
        }
    }

    private static final class DuplicateSerialException extends RuntimeException {
        DuplicateSerialException() {
            super("serial already issued", null, false, false);
        }
    }

    /** The issuing generation's certificate, then its parents' up to the root. */
    private List<X509Certificate> chainOf(Daos d, CaRecord generation) {
        List<X509Certificate> chain = new ArrayList<>();
        CaRecord current = generation;
        while (current != null) {
            chain.add(certificate(current));
            CaRecord child = current;
            current = child.parentName() == null ? null
                    : d.certificateAuthorities().generation(child.parentName(), child.parentGeneration()).orElseThrow(() ->
                    new IllegalStateException("CA " + child.name() + " generation " + child.generation()
                            + " names a parent generation that does not exist"));
        }
        return chain;
    }

    /**
     * Puts every certificate issued for {@code credentialId} version {@code version} on its CA's CRL
     * with {@code revokedAt} and {@code reason}, and re-signs the CRL. Idempotent: a certificate
     * already on the CRL keeps its first revocation time. Does nothing when none was issued.
     */
    public void revoke(String credentialId, int version, RevocationReason reason, Instant revokedAt) {
        List<CaGeneration> issuers = store.tx(d -> {
            List<CaGeneration> unrevoked = d.issuedCertificates().unrevokedIssuers(credentialId, version);
            int revoked = d.issuedCertificates().revoke(credentialId, version, reason.name(), revokedAt);
            for (CaGeneration g : unrevoked) {
                // Committed with the revocation: a re-sign that fails below (backend offline) is retried by the refresh.
                d.crls().insertIfAbsent(g.caName(), g.generation());
                d.crls().markStale(g.caName(), g.generation());
            }
            if (revoked > 0) {
                audit.record(d, ACTOR, AuditAction.CERTIFICATE_REVOKED, "credential:" + credentialId + "/v" + version,
                        "ok", revoked + " certificate(s), reason " + reason + ", CA generation(s) " + unrevoked);
            }
            return unrevoked;
        });
        for (CaGeneration g : issuers) {
            signCrl(g.caName(), g.generation(), true);
        }
    }

    /** The latest certificate issued for each version of {@code credentialId}, by version. */
    public Map<Integer, CertificateSummary> issuedFor(String credentialId) {
        return issuedFor(List.of(credentialId)).getOrDefault(credentialId, Map.of());
    }

    /** {@link #issuedFor(String)} for a page of credentials, in one query; credentials without certificates are absent. */
    public Map<String, Map<Integer, CertificateSummary>> issuedFor(java.util.Collection<String> credentialIds) {
        Map<String, Map<Integer, CertificateSummary>> out = new LinkedHashMap<>();
        for (IssuedRecord r : store.read(d -> d.issuedCertificates().forCredentials(credentialIds))) {
            // Ordered by issue time: a later certificate of the same version replaces the earlier one.
            out.computeIfAbsent(r.credentialId(), k -> new LinkedHashMap<>()).put(r.version(),
                    new CertificateSummary(r.caName(), r.caGeneration(), r.serial(), r.notBefore(), r.notAfter(),
                            r.revokedAt()));
        }
        return out;
    }

    /**
     * The DER CRL of a CA generation (the ACTIVE one when {@code generation} is empty), signed now
     * when it is missing or has lapsed. Unknown CA or generation: {@link RejectedException} not found.
     */
    public byte[] crlDer(String name, Optional<Integer> generation) {
        requireConfigured(name);
        CaRecord record = generation.isEmpty() ? activeGeneration(name)
                : store.read(d -> d.certificateAuthorities().generation(name, generation.get())).orElseThrow(() ->
                RejectedException.notFound("generation of certificate authority " + name, String.valueOf(generation.get())));
        Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, record.generation()));
        boolean usable = crl.isPresent() && crl.get().der() != null && crl.get().nextUpdate().isAfter(clock.instant());
        if (usable || (RETIRED.equals(record.state()) && crl.isPresent() && crl.get().der() != null)) {
            return crl.get().der();
        }
        if (RETIRED.equals(record.state())) {
            throw RejectedException.notFound("CRL of certificate authority " + name + " generation",
                    String.valueOf(record.generation()));
        }
        return signCrl(name, record.generation());
    }

    /**
     * Periodic upkeep, safe to call from any node at any time: re-signs each CRL of a generation in use
     * once less than half its validity remains (or a revocation could not sign it), retires
     * RETIRING generations nothing depends on any more, and destroys RETIRED generations' keys.
     * Problems are logged per CA, never thrown.
     */
    public void refreshCrls() {
        for (String name : creationOrder) {
            try {
                refresh(name);
            } catch (RuntimeException e) {
                LOG.warn("upkeep of certificate authority {} failed, retried at the next refresh: {}", name, e.toString());
            }
        }
    }

    private void refresh(String name) {
        CertificateAuthorityFactory config = configs.get(name);
        Instant now = clock.instant();
        for (CaRecord g : store.read(d -> d.certificateAuthorities().generations(name))) {
            if (RETIRED.equals(g.state())) {
                if (g.keyDestroyedAt() == null) {
                    destroyKey(g);
                }
                continue;
            }
            Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, g.generation()));
            boolean fresh = crl.isPresent() && crl.get().der() != null && !crl.get().stale()
                    && Duration.between(now, crl.get().nextUpdate()).compareTo(config.getCrlValidity().dividedBy(2)) >= 0;
            if (!fresh) {
                signCrl(name, g.generation());
            } else if (ACTIVE.equals(g.state())) {
                // Another node may have signed it: this node's crlFile follows the database.
                writeCrlFile(crl.get());
            }
            if (RETIRING.equals(g.state())) {
                retireIfUnused(g, now);
            }
        }
    }

    private void retireIfUnused(CaRecord g, Instant now) {
        boolean retired = store.tx(d -> {
            d.certificateAuthorities().lock(g.name());
            if (d.issuedCertificates().hasOutstanding(g.name(), g.generation(), now)
                    || d.certificateAuthorities().childrenInUse(g.name(), g.generation()) > 0) {
                return false;
            }
            if (!d.certificateAuthorities().changeState(g.name(), g.generation(), RETIRING, RETIRED, now)) {
                return false;
            }
            audit.record(d, ACTOR, AuditAction.CA_RETIRED, "ca:" + g.name() + "/" + g.generation(), "ok",
                    "no certificate it issued is still valid and unrevoked; key " + g.keyAlias() + " destroyed next");
            return true;
        });
        if (retired) {
            LOG.info("certificate authority {} generation {} retired", g.name(), g.generation());
            destroyKey(g);
        }
    }

    private void destroyKey(CaRecord g) {
        keys.remove(g.keyAlias());
        backends.get(g.backend()).destroySigningKey(g.keyAlias());
        store.txRun(d -> d.certificateAuthorities().markKeyDestroyed(g.name(), g.generation(), clock.instant()));
    }

    /**
     * Creates generation N+1 of {@code name} (new key, same subject; self-signed or signed by the
     * parent's ACTIVE generation) as ACTIVE and makes generation N RETIRING, in one transaction.
     */
    public CertificateAuthorityView rotate(String name, String actor) {
        requireConfigured(name);
        CaRecord previous = activeGeneration(name);
        int next = store.read(d -> d.certificateAuthorities().generations(name)).stream()
                .mapToInt(CaRecord::generation).max().orElse(0) + 1;
        NewGeneration created = createGeneration(name, next);
        try {
            store.txRun(d -> {
                d.certificateAuthorities().lock(name);
                Optional<CaRecord> active = d.certificateAuthorities().active(name);
                if (active.isEmpty() || active.get().generation() != previous.generation()
                        || !d.certificateAuthorities().changeState(name, previous.generation(), ACTIVE, RETIRING, null)) {
                    throw RejectedException.conflict("certificate authority " + name + " was rotated meanwhile; try again");
                }
                d.certificateAuthorities().insert(created.record());
                d.crls().insertIfAbsent(name, next);
                audit.record(d, actor, AuditAction.CA_ROTATED, "ca:" + name + "/" + next, "ok",
                        "generation " + previous.generation() + " is RETIRING; new serial "
                                + hex(created.certificate().getSerialNumber()) + ", key " + created.record().keyAlias());
            });
        } catch (RuntimeException e) {
            destroyQuietly(backends.get(created.record().backend()), created.record().keyAlias(), e);
            throw e;
        }
        keys.put(created.record().keyAlias(), created.key());
        LOG.info("certificate authority {} rotated: generation {} is ACTIVE, {} RETIRING", name, next, previous.generation());
        try {
            signCrl(name, next);
        } catch (RuntimeException e) {
            LOG.warn("the first CRL of certificate authority {} generation {} is signed later: {}", name, next, e.toString());
        }
        return view(name);
    }

    /** When one CA generation's own certificate ends. */
    public record GenerationExpiry(String ca, int generation, String state, Instant notAfter) {
    }

    /**
     * The generations of every configured CA that are not RETIRED, with their certificates' notAfter:
     * what the expiry alert needs, without the outstanding counts and CRLs of {@link #view} and
     * without creating a CA that does not exist yet.
     */
    public List<GenerationExpiry> expiries() {
        List<GenerationExpiry> out = new ArrayList<>();
        for (String name : names()) {
            for (CaRecord g : store.read(d -> d.certificateAuthorities().generations(name))) {
                if (!"RETIRED".equals(g.state())) {
                    out.add(new GenerationExpiry(name, g.generation(), g.state(), certificate(g).getNotAfter().toInstant()));
                }
            }
        }
        return out;
    }

    /** The public JSON view of a CA and its generations. */
    public CertificateAuthorityView view(String name) {
        requireConfigured(name);
        CertificateAuthorityFactory config = configs.get(name);
        List<CaRecord> generations = createdGenerations(name);
        Instant now = clock.instant();
        List<CertificateAuthorityView.Generation> views = new ArrayList<>();
        for (int i = generations.size() - 1; i >= 0; i--) {
            CaRecord g = generations.get(i);
            X509Certificate c = certificate(g);
            long outstanding = store.read(d -> d.issuedCertificates().outstanding(name, g.generation(), now));
            Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, g.generation()));
            views.add(new CertificateAuthorityView.Generation(g.generation(), g.state(),
                    c.getSubjectX500Principal().getName(), hex(c.getSerialNumber()), c.getNotBefore().toInstant(),
                    c.getNotAfter().toInstant(), outstanding,
                    crl.filter(r -> r.der() != null).map(CrlRecord::crlNumber).orElse(null),
                    crl.map(CrlRecord::nextUpdate).orElse(null)));
        }
        return new CertificateAuthorityView(name, config.getTrustDomain(), config.getBackend(), config.getKeySpec().name(),
                config.getParent(), views);
    }

    /**
     * What is wrong with the CAs now, one line per problem naming the CA: not initialised, ACTIVE
     * certificate expiring within {@link #EXPIRY_WARNING}, or a CRL in use past its nextUpdate. Empty when all is well.
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        Instant now = clock.instant();
        for (String name : configs.keySet()) {
            List<CaRecord> generations = store.read(d -> d.certificateAuthorities().generations(name));
            Optional<CaRecord> active = generations.stream().filter(g -> ACTIVE.equals(g.state())).findFirst();
            if (active.isEmpty()) {
                problems.add(name + ": not initialised (key backend " + configs.get(name).getBackend() + ")");
                continue;
            }
            Instant notAfter = certificate(active.get()).getNotAfter().toInstant();
            if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
                problems.add(name + ": the ACTIVE certificate (generation " + active.get().generation() + ") expires at "
                        + notAfter + "; rotate the CA (POST /tasks/rotate-ca?ca=" + name + ")");
            }
            for (CaRecord g : generations) {
                if (RETIRED.equals(g.state())) {
                    continue;
                }
                Optional<CrlRecord> crl = store.read(d -> d.crls().find(name, g.generation()));
                if (crl.isEmpty() || crl.get().nextUpdate() == null) {
                    problems.add(name + ": generation " + g.generation() + " has no CRL yet");
                } else if (!crl.get().nextUpdate().isAfter(now)) {
                    problems.add(name + ": the CRL of generation " + g.generation() + " lapsed at " + crl.get().nextUpdate());
                }
            }
        }
        return problems;
    }

    /**
     * Signs a new CRL of one generation with the next CRL number of its CA, stores it, and writes the
     * ACTIVE generation's to {@code crlFile}. The CA's CRL rows stay locked from the number to the
     * store, so numbers never repeat or go back, whichever node signs.
     */
    byte[] signCrl(String name, int generation) {
        return signCrl(name, generation, false);
    }

    /**
     * With {@code onlyIfStale}, a CRL that another signature has brought up to date since the caller's
     * revocation committed is left as it is: a burst of revocations (a decommission) costs a few
     * signatures, not one per certificate. The stale flag is read under the CRL lock, after the
     * revocation's commit, so a signature that cleared it listed the revocation.
     */
    private byte[] signCrl(String name, int generation, boolean onlyIfStale) {
        CaRecord record = store.read(d -> d.certificateAuthorities().generation(name, generation)).orElseThrow();
        if (RETIRED.equals(record.state())) {
            return store.read(d -> d.crls().find(name, generation)).map(CrlRecord::der).orElse(null);
        }
        CertificateAuthorityFactory config = configs.get(name);
        SigningKey key = key(record);
        X509Certificate caCertificate = certificate(record);
        ensureCrlRow(name, generation);
        CrlRecord signed = store.tx(d -> {
            long number = d.crls().lockAndMaxNumber(name) + 1;
            if (onlyIfStale) {
                Optional<CrlRecord> current = d.crls().find(name, generation);
                if (current.isPresent() && current.get().der() != null && !current.get().stale()) {
                    return current.get();
                }
            }
            Instant now = clock.instant();
            Instant next = now.plus(config.getCrlValidity());
            List<CrlBuilder.Entry> entries = d.issuedCertificates().revokedUnexpired(name, generation, now).stream()
                    .map(r -> new CrlBuilder.Entry(new BigInteger(r.serial(), 16), r.revokedAt(),
                            RevocationReason.valueOf(r.revokeReason())))
                    .toList();
            byte[] der = crls.build(key, caCertificate, number, now, next, entries);
            d.crls().store(name, generation, number, now, next, der);
            return new CrlRecord(name, generation, number, now, next, der, false);
        });
        if (ACTIVE.equals(record.state())) {
            writeCrlFile(signed);
        }
        return signed.der();
    }

    private void ensureCrlRow(String name, int generation) {
        try {
            store.txRun(d -> d.crls().insertIfAbsent(name, generation));
        } catch (RuntimeException e) {
            // Another node inserted it at the same moment: the primary key refused the second row.
            if (store.read(d -> d.crls().find(name, generation)).isEmpty()) {
                throw e;
            }
        }
    }

    /**
     * Writes an ACTIVE generation's CRL to the CA's {@code crlFile}, unless a newer one is there
     * already. Temp file and atomic rename, so that a web server reading the file never sees half a CRL.
     */
    private synchronized void writeCrlFile(CrlRecord crl) {
        String file = configs.get(crl.caName()).getCrlFile();
        Long written = writtenCrlNumbers.get(crl.caName());
        if (file == null || crl.der() == null || (written != null && written >= crl.crlNumber())) {
            return;
        }
        Path path = Path.of(file);
        try {
            Path dir = path.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            try {
                Files.write(tmp, crl.der());
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            writtenCrlNumbers.put(crl.caName(), crl.crlNumber());
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot write the CRL of certificate authority {} to {}: {}", crl.caName(), path, e.toString());
        }
    }

    /**
     * Creates generation 1 of {@code name} unless the database has a record of it.
     *
     * @return whether it was created now
     */
    synchronized boolean ensureCreated(String name) {
        if (!store.read(d -> d.certificateAuthorities().generations(name)).isEmpty()) {
            return false;
        }
        String parent = configs.get(name).getParent();
        if (parent != null) {
            try {
                ensureCreated(parent);
            } catch (KeyBackendException e) {
                throw new CertificateAuthorityNotReadyException("CA not initialised yet: its parent " + parent
                        + " is not (" + e.getMessage() + ")");
            }
        }
        NewGeneration created = createGeneration(name, 1);
        try {
            store.txRun(d -> {
                d.certificateAuthorities().insert(created.record());
                d.crls().insertIfAbsent(name, 1);
                audit.record(d, ACTOR, AuditAction.CA_CREATED, "ca:" + name + "/1", "ok",
                        "key " + created.record().keyAlias() + " (" + created.record().keySpec() + ") in key backend "
                                + created.record().backend() + (parent == null ? ", self-signed" : ", signed by " + parent));
            });
        } catch (RuntimeException e) {
            // Another node may have created the CA meanwhile (the insert then fails on the primary key): no orphan key either way.
            destroyQuietly(backends.get(created.record().backend()), created.record().keyAlias(), e);
            if (!store.read(d -> d.certificateAuthorities().generations(name)).isEmpty()) {
                return false;
            }
            throw e;
        }
        keys.put(created.record().keyAlias(), created.key());
        return true;
    }

    private record NewGeneration(CaRecord record, SigningKey key, X509Certificate certificate) {
    }

    /** A new key in the backend and its certificate; nothing is stored yet. */
    private NewGeneration createGeneration(String name, int generation) {
        CertificateAuthorityFactory config = configs.get(name);
        KeyBackend backend = backends.get(config.getBackend());
        if (!backend.status().healthy()) {
            throw new KeyBackendUnavailableException(backend.status().message());
        }
        CaRecord parent = config.getParent() == null ? null : activeGeneration(config.getParent());
        // A random suffix: a key left behind by a crash before the insert never blocks a new attempt.
        String alias = "rotakey-ca-" + name + "-" + generation + "-" + HexFormat.of().formatHex(randomBytes(4));
        SigningKey key = backend.createSigningKey(alias, config.getKeySpec());
        try {
            X509Certificate certificate = parent == null
                    ? roots.build(key, config.subjectName(), config.getValidity())
                    : intermediates.build(key(parent), certificate(parent), new BigInteger(64, random).setBit(64),
                    config.subjectName(), key.publicKey(), config.getValidity(), depthBelow.get(name));
            CaRecord record = new CaRecord(name, generation, alias, config.getKeySpec().name(), config.getBackend(),
                    pem(certificate), ACTIVE, clock.instant(), parent == null ? null : parent.name(),
                    parent == null ? null : parent.generation(), null, null);
            return new NewGeneration(record, key, certificate);
        } catch (RuntimeException e) {
            destroyQuietly(backend, alias, e);
            throw e;
        }
    }

    private void requireConfigured(String name) {
        if (!configs.containsKey(name)) {
            throw RejectedException.notFound("certificate authority", name);
        }
    }

    private void checkCa(String name) {
        if (name == null || !configs.containsKey(name)) {
            throw RejectedException.invalid("ca", "no certificate authority named '" + name + "' (configured: "
                    + configs.keySet() + ")");
        }
    }

    /** The generations of a configured CA, creating it first if an offline backend kept it from being created. */
    private List<CaRecord> createdGenerations(String name) {
        List<CaRecord> generations = store.read(d -> d.certificateAuthorities().generations(name));
        if (!generations.isEmpty()) {
            return generations;
        }
        try {
            ensureCreated(name);
        } catch (KeyBackendException e) {
            throw new CertificateAuthorityNotReadyException("CA not initialised yet: key backend "
                    + configs.get(name).getBackend() + " is unavailable (" + e.getMessage() + ")");
        }
        return store.read(d -> d.certificateAuthorities().generations(name));
    }

    private CaRecord activeGeneration(String name) {
        return createdGenerations(name).stream().filter(g -> ACTIVE.equals(g.state())).findFirst()
                .orElseThrow(() -> new CertificateAuthorityNotReadyException("CA " + name + " has no ACTIVE generation"));
    }

    /** The cached handle of a generation's key; looked up in the backend once per alias. */
    private SigningKey key(CaRecord generation) {
        SigningKey cached = keys.get(generation.keyAlias());
        if (cached != null) {
            return cached;
        }
        SigningKey key = backends.get(generation.backend()).signingKey(generation.keyAlias()).orElseThrow(() ->
                new KeyBackendException("the key " + generation.keyAlias() + " of CA " + generation.name() + " generation "
                        + generation.generation() + " is missing from key backend " + generation.backend()));
        keys.putIfAbsent(generation.keyAlias(), key);
        return key;
    }

    private X509Certificate certificate(CaRecord generation) {
        return certificates.computeIfAbsent(generation.name() + "/" + generation.generation(), k -> parse(generation.certificatePem()));
    }

    private static X509Certificate parse(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalStateException("a stored CA certificate does not parse: " + e.getMessage(), e);
        }
    }

    static String crlUrl(CertificateAuthorityFactory config, String name, int generation) {
        return config.getCrlBaseUrl() + "/api/v1/cas/" + name + "/crl?generation=" + generation;
    }

    static String hex(BigInteger serial) {
        return serial.toString(16);
    }

    private static void destroyQuietly(KeyBackend backend, String alias, RuntimeException cause) {
        try {
            backend.destroySigningKey(alias);
        } catch (KeyBackendException e) {
            cause.addSuppressed(e);
            LOG.warn("could not destroy the unused CA key {} in key backend {}: {}", alias, backend.name(), e.getMessage());
        }
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    static String pem(X509Certificate certificate) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a certificate as PEM", e);
        }
        return out.toString();
    }
}
