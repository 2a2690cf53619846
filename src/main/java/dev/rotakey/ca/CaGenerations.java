package dev.rotakey.ca;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static dev.rotakey.ca.GenerationState.ACTIVE;
import static dev.rotakey.ca.GenerationState.RETIRED;
import static dev.rotakey.ca.GenerationState.RETIRING;

/**
 * The life of each CA's generations: creates generation 1 (parents first), rotates (N+1 ACTIVE, N
 * RETIRING), retires a RETIRING generation nothing depends on any more and destroys a RETIRED one's
 * key. A key made for a generation that does not get stored is destroyed again, so no CA key is
 * orphaned (I5). The database is the source of truth, so several nodes can share it.
 */
final class CaGenerations {
    private static final Logger LOG = LoggerFactory.getLogger(CaGenerations.class);
    /** The actor of the events Rotakey records on its own, not on an operator's request. */
    static final String ACTOR = "rotakey";

    private final CaHierarchy hierarchy;
    private final CaKeyRing keyRing;
    private final KeyBackends backends;
    private final Store store;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random;
    private final RootCertificateBuilder roots;
    private final IntermediateCertificateBuilder intermediates;

    CaGenerations(CaHierarchy hierarchy, CaKeyRing keyRing, KeyBackends backends, Store store, AuditLog audit,
                  Clock clock, SecureRandom random) {
        this.hierarchy = hierarchy;
        this.keyRing = keyRing;
        this.backends = backends;
        this.store = store;
        this.audit = audit;
        this.clock = clock;
        this.random = random;
        this.roots = new RootCertificateBuilder(random, clock);
        this.intermediates = new IntermediateCertificateBuilder(clock);
    }

    /** The stored generations of {@code name}, oldest first; empty while it has not been created. */
    List<CaRecord> stored(String name) {
        return store.read(d -> d.certificateAuthorities().generations(name));
    }

    /** The generations of a configured CA, creating it first if an offline backend kept it from being created. */
    List<CaRecord> created(String name) {
        List<CaRecord> generations = stored(name);
        if (!generations.isEmpty()) {
            return generations;
        }
        try {
            ensureCreated(name);
        } catch (KeyBackendException e) {
            throw new CertificateAuthorityNotReadyException("CA not initialised yet: key backend "
                    + hierarchy.config(name).getBackend() + " is unavailable (" + e.getMessage() + ")");
        }
        return stored(name);
    }

    /** The ACTIVE generation of a configured CA, creating the CA first if need be. */
    CaRecord active(String name) {
        return created(name).stream().filter(g -> GenerationState.of(g) == ACTIVE).findFirst()
                .orElseThrow(() -> new CertificateAuthorityNotReadyException("CA " + name + " has no ACTIVE generation"));
    }

    /** The PEM chain of a configured CA: its generations that are not RETIRED, newest first, then its parent's chain. */
    String chainPem(String name) {
        List<CaRecord> generations = created(name);
        StringBuilder chain = new StringBuilder();
        for (int i = generations.size() - 1; i >= 0; i--) {
            if (GenerationState.of(generations.get(i)) != RETIRED) {
                chain.append(generations.get(i).certificatePem());
            }
        }
        String parent = hierarchy.parent(name);
        if (parent != null) {
            chain.append(chainPem(parent));
        }
        return chain.toString();
    }

    /**
     * Creates generation 1 of {@code name} unless the database has a record of it.
     *
     * @return whether it was created now
     */
    synchronized boolean ensureCreated(String name) {
        if (!stored(name).isEmpty()) {
            return false;
        }
        String parent = hierarchy.parent(name);
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
            commit(created, d -> {
                d.certificateAuthorities().insert(created.record());
                d.crls().insertIfAbsent(name, 1);
                audit.record(d, ACTOR, AuditAction.CA_CREATED, "ca:" + name + "/1", "ok",
                        "key " + created.record().keyAlias() + " (" + created.record().keySpec() + ") in key backend "
                                + created.record().backend() + (parent == null ? ", self-signed" : ", signed by " + parent));
            });
        } catch (RuntimeException e) {
            // Another node may have created the CA meanwhile (the insert then fails on the primary key): no orphan key either way.
            if (!stored(name).isEmpty()) {
                return false;
            }
            throw e;
        }
        return true;
    }

    /**
     * Creates generation N+1 of {@code name} (new key, same subject; self-signed or signed by the
     * parent's ACTIVE generation) as ACTIVE and makes generation N RETIRING, in one transaction.
     *
     * @return N+1
     */
    int rotate(String name, String actor) {
        hierarchy.requireConfigured(name);
        CaRecord previous = active(name);
        int next = stored(name).stream().mapToInt(CaRecord::generation).max().orElse(0) + 1;
        NewGeneration created = createGeneration(name, next);
        commit(created, d -> {
            d.certificateAuthorities().lock(name);
            Optional<CaRecord> active = d.certificateAuthorities().active(name);
            if (active.isEmpty() || active.get().generation() != previous.generation()
                    || !d.certificateAuthorities().changeState(name, previous.generation(), ACTIVE.name(), RETIRING.name(), null)) {
                throw RejectedException.conflict("certificate authority " + name + " was rotated meanwhile; try again");
            }
            d.certificateAuthorities().insert(created.record());
            d.crls().insertIfAbsent(name, next);
            audit.record(d, actor, AuditAction.CA_ROTATED, "ca:" + name + "/" + next, "ok",
                    "generation " + previous.generation() + " is RETIRING; new serial "
                            + CertificateSerials.hex(created.certificate().getSerialNumber()) + ", key "
                            + created.record().keyAlias());
        });
        LOG.info("certificate authority {} rotated: generation {} is ACTIVE, {} RETIRING", name, next, previous.generation());
        return next;
    }

    /** Makes a RETIRING generation RETIRED and destroys its key once no leaf and no child CA generation it signed is in use. */
    void retireIfUnused(CaRecord g, Instant now) {
        boolean retired = store.tx(d -> {
            d.certificateAuthorities().lock(g.name());
            if (d.issuedCertificates().hasOutstanding(g.name(), g.generation(), now)
                    || d.certificateAuthorities().childrenInUse(g.name(), g.generation()) > 0) {
                return false;
            }
            if (!d.certificateAuthorities().changeState(g.name(), g.generation(), RETIRING.name(), RETIRED.name(), now)) {
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

    /** Destroys a RETIRED generation's key, then records that it is gone. */
    void destroyKey(CaRecord g) {
        keyRing.destroy(g);
        store.txRun(d -> d.certificateAuthorities().markKeyDestroyed(g.name(), g.generation(), clock.instant()));
    }

    private record NewGeneration(CaRecord record, SigningKey key, X509Certificate certificate) {
    }

    /** A new key in the backend and its certificate; nothing is stored yet. */
    private NewGeneration createGeneration(String name, int generation) {
        CertificateAuthorityFactory config = hierarchy.config(name);
        KeyBackend backend = backends.get(config.getBackend());
        if (!backend.status().healthy()) {
            throw new KeyBackendUnavailableException(backend.status().message());
        }
        CaRecord parent = config.getParent() == null ? null : active(config.getParent());
        // A random suffix: a key left behind by a crash before the insert never blocks a new attempt.
        String alias = "rotakey-ca-" + name + "-" + generation + "-" + HexFormat.of().formatHex(randomBytes(4));
        SigningKey key = backend.createSigningKey(alias, config.getKeySpec());
        try {
            X509Certificate certificate = parent == null
                    ? roots.build(key, config.subjectName(), config.getValidity())
                    : intermediates.build(keyRing.key(parent), keyRing.certificate(parent), CertificateSerials.next(random),
                    config.subjectName(), key.publicKey(), config.getValidity(), hierarchy.depthBelow(name));
            CaRecord record = new CaRecord(name, generation, alias, config.getKeySpec().name(), config.getBackend(),
                    CertificatePem.of(certificate), ACTIVE.name(), clock.instant(), parent == null ? null : parent.name(),
                    parent == null ? null : parent.generation(), null, null);
            return new NewGeneration(record, key, certificate);
        } catch (RuntimeException e) {
            destroyQuietly(backend, alias, e);
            throw e;
        }
    }

    /** Stores a new generation with {@code work}; when that fails, its key is destroyed before the failure is thrown. */
    private void commit(NewGeneration created, Consumer<Daos> work) {
        try {
            store.txRun(work);
        } catch (RuntimeException e) {
            destroyQuietly(backends.get(created.record().backend()), created.record().keyAlias(), e);
            throw e;
        }
        keyRing.add(created.record().keyAlias(), created.key());
    }

    private static void destroyQuietly(KeyBackend backend, String alias, RuntimeException cause) {
        try {
            backend.destroySigningKey(alias);
        } catch (KeyBackendException e) {
            cause.addSuppressed(e);
            LOG.warn("could not destroy the unused CA key {} in key backend {}: {}", alias, backend.name(), e.getMessage(), e);
        }
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
