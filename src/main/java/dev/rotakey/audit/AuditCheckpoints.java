package dev.rotakey.audit;

import dev.rotakey.backend.SigningKey;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.db.AuditChainHead;
import dev.rotakey.db.Store;
import dev.rotakey.db.UniqueViolation;
import dev.rotakey.schedule.FixedDelayWork;
import io.dropwizard.lifecycle.Managed;
import org.jdbi.v3.core.statement.StatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Signs the audit chain's head at an interval and at each stop, with the checkpoint key held in a key backend, and at
 * start chains the events recorded before the chain existed. Any node may sign; the first checkpoint of an event
 * stands and the others are dropped. A backend that is offline delays checkpoints, never the events.
 */
public final class AuditCheckpoints implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpoints.class);
    private static final int LEGACY_BATCH = 1000;

    private final Store store;
    private final AuditSigningKeys keys;
    private final Clock clock;
    private final NodeIdentity node;
    private final FixedDelayWork timer;

    public AuditCheckpoints(Store store, AuditSigningKeys keys, Duration every, Clock clock, NodeIdentity node) {
        this.store = store;
        this.keys = keys;
        this.clock = clock;
        this.node = node;
        this.timer = new FixedDelayWork("audit-checkpoints", every, this::checkpointOrLog);
    }

    @Override
    public void start() {
        chainLegacyEvents();
        if (!keys.configured()) {
            LOG.warn("no key backend is configured: the audit chain's head is not signed, so a rewrite of the whole "
                    + "chain by someone who can write the database would not be detected");
            return;
        }
        timer.start();
    }

    @Override
    public void stop() throws InterruptedException {
        timer.stop();
        checkpointOrLog();
    }

    /** Chains, in id order, the events recorded before the chain existed: once, after the upgrade that adds it. */
    void chainLegacyEvents() {
        int chained;
        long total = 0;
        do {
            chained = store.tx(tx -> tx.audit().chainLegacy(LEGACY_BATCH));
            total += chained;
        } while (chained > 0);
        if (total > 0) {
            LOG.info("chained {} audit events recorded before the audit chain existed", total);
        }
    }

    private void checkpointOrLog() {
        if (!keys.configured()) {
            return;
        }
        try {
            checkpoint();
        } catch (RuntimeException e) {
            LOG.warn("the audit chain's head was not signed now (tried again in a while): {}", e.toString());
        }
    }

    /** Signs the chain's head unless it is already signed; answers the new checkpoint. */
    public Optional<AuditCheckpoint> checkpoint() {
        // The head, unless the latest checkpoint already signs it (or there is nothing to sign): one read.
        Optional<AuditChainHead> unsigned = store.read(tx -> {
            AuditChainHead h = tx.audit().head();
            long signed = tx.auditCheckpoints().latest().map(AuditCheckpoint::seq).orElse(0L);
            return h.seq() > signed ? Optional.of(h) : Optional.empty();
        });
        if (unsigned.isEmpty()) {
            return Optional.empty();
        }
        AuditChainHead head = unsigned.get();
        SigningKey key = keys.current();
        Instant now = clock.instant();
        String payload = AuditCheckpoint.payload(head.seq(), head.hash(), now, keys.backendName(), key.alias());
        String signature = Base64.getEncoder().encodeToString(key.sign(payload.getBytes(StandardCharsets.UTF_8)));
        AuditCheckpoint c = new AuditCheckpoint(head.seq(), head.hash(), now, keys.backendName(), key.alias(),
                key.spec().signatureAlgorithm(), payload, signature, node.instanceId());
        try {
            return store.tx(tx -> tx.auditCheckpoints().insertIfAbsent(c)) ? Optional.of(c) : Optional.empty();
        } catch (StatementException e) {
            // Another node checkpointed the same event between our NOT EXISTS and our insert (PostgreSQL's READ
            // COMMITTED lets both see it absent): its checkpoint stands, ours is not needed.
            if (UniqueViolation.in(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
