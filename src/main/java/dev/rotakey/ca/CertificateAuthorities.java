package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.Store;
import io.dropwizard.lifecycle.Managed;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configured certificate authorities: creates each CA's key in its backend and its self-signed
 * root certificate once, at start-up (or later, once an offline backend is back), and serves their
 * public chains. An existing CA is never regenerated.
 */
public final class CertificateAuthorities implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthorities.class);
    static final String ACTIVE = "ACTIVE";

    private final Map<String, CertificateAuthorityFactory> configs;
    private final KeyBackends backends;
    private final Store store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final RootCertificateBuilder roots;

    /** {@code configs}' backend names must have been checked against {@code backends}. */
    public CertificateAuthorities(Map<String, CertificateAuthorityFactory> configs, KeyBackends backends, Store store,
                                  Clock clock) {
        this.configs = new LinkedHashMap<>(configs);
        this.backends = backends;
        this.store = store;
        this.clock = clock;
        this.roots = new RootCertificateBuilder(random, clock);
    }

    /** Creates the CAs that do not exist yet; a CA whose backend is offline is logged and left for later. */
    @Override
    public void start() {
        for (String name : configs.keySet()) {
            try {
                if (ensureCreated(name)) {
                    LOG.info("certificate authority {} created in key backend {}", name, configs.get(name).getBackend());
                }
            } catch (KeyBackendException e) {
                // Start-up goes on: the API-key side works without the CA, and the chain answers 503 meanwhile.
                LOG.warn("certificate authority {} is not initialised yet (key backend {}: {}); retried when its chain "
                        + "is asked for and at the next start", name, configs.get(name).getBackend(), e.getMessage());
            }
        }
    }

    /**
     * The PEM chain of the CA {@code name}: its certificates, newest generation first. Tries to create
     * a CA that an offline backend kept from being created at start-up.
     */
    public String chainPem(String name) {
        CertificateAuthorityFactory config = configs.get(name);
        if (config == null) {
            throw RejectedException.notFound("certificate authority", name);
        }
        List<CaRecord> generations = store.read(d -> d.certificateAuthorities().generations(name));
        if (generations.isEmpty()) {
            try {
                ensureCreated(name);
            } catch (KeyBackendException e) {
                throw new CertificateAuthorityNotReadyException("CA not initialised yet: key backend "
                        + config.getBackend() + " is unavailable (" + e.getMessage() + ")");
            }
            generations = store.read(d -> d.certificateAuthorities().generations(name));
        }
        StringBuilder chain = new StringBuilder();
        for (int i = generations.size() - 1; i >= 0; i--) {
            chain.append(generations.get(i).certificatePem());
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
    public void checkLeafRequest(String caName, java.time.Duration validity) {
        throw new UnsupportedOperationException("issue 3 in progress: leaf issuing");
    }

    /**
     * Issues a leaf certificate from the CA's current (ACTIVE) generation, signing inside the key
     * backend, and records it in the CA's ledger under {@code request.credentialId()} and
     * {@code request.version()} before returning. Throws {@link KeyBackendException} (retryable
     * when the backend is offline) or {@link CertificateAuthorityNotReadyException}.
     */
    public IssuedCertificate issue(String caName, LeafRequest request) {
        throw new UnsupportedOperationException("issue 3 in progress: leaf issuing");
    }

    /**
     * Puts every certificate issued for {@code credentialId} version {@code version} on its CA's CRL
     * with {@code revokedAt} and {@code reason}, and re-signs the CRL. Idempotent: a certificate
     * already on the CRL keeps its first revocation time. Does nothing when none was issued.
     */
    public void revoke(String credentialId, int version, dev.rotakey.core.RevocationReason reason,
                       java.time.Instant revokedAt) {
        throw new UnsupportedOperationException("issue 3 in progress: CRL");
    }

    /** The latest certificate issued for each version of {@code credentialId}, by version. */
    public Map<Integer, CertificateSummary> issuedFor(String credentialId) {
        throw new UnsupportedOperationException("issue 3 in progress: ledger");
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
        CertificateAuthorityFactory config = configs.get(name);
        KeyBackend backend = backends.get(config.getBackend());
        if (!backend.status().healthy()) {
            throw new KeyBackendUnavailableException(backend.status().message());
        }
        // A random suffix: a key left behind by a crash before the insert below never blocks a new attempt.
        String alias = "rotakey-ca-" + name + "-1-" + HexFormat.of().formatHex(randomBytes(4));
        SigningKey key = backend.createSigningKey(alias, config.getKeySpec());
        try {
            X509Certificate certificate = roots.build(key, config.subjectName(), config.getValidity());
            CaRecord record = new CaRecord(name, 1, alias, config.getKeySpec().name(), config.getBackend(),
                    pem(certificate), ACTIVE, clock.instant());
            store.txRun(d -> d.certificateAuthorities().insert(record));
            return true;
        } catch (RuntimeException e) {
            // Another node may have created the CA meanwhile (the insert then fails on the primary key): no orphan key either way.
            destroyQuietly(backend, alias, e);
            if (!store.read(d -> d.certificateAuthorities().generations(name)).isEmpty()) {
                return false;
            }
            throw e;
        }
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
