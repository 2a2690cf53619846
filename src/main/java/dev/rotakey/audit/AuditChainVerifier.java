package dev.rotakey.audit;

import dev.rotakey.db.AuditChainHead;
import dev.rotakey.db.AuditDao;
import dev.rotakey.db.Store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import dev.rotakey.backend.SigningKey;
import java.security.Signature;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Checks the whole audit chain against itself and its signed checkpoints: every event's hash recomputed from what the
 * row says, every link to the event before it, no number missing or added, no row outside the chain, and every
 * checkpoint's signature (with a key the configuration trusts, read from the backend) over the hash of its event.
 * Reports the first broken link. Reads the chain in pages, so it runs in constant memory however long the trail.
 */
public final class AuditChainVerifier {
    private static final int PAGE = 2000;

    private final Store store;
    private final AuditSigningKeys keys;

    public AuditChainVerifier(Store store, AuditSigningKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    public AuditVerification verify() {
        AuditChainHead head = store.read(tx -> tx.audit().head());
        Walk walk = new Walk(head);
        long after = 0;
        while (walk.problem == null) {
            long from = after;
            // Up to the head read at the start: events committed while the walk runs are past it, and not checked.
            List<AuditDao.Chained> page = store.read(tx -> tx.audit().chained(from, head.seq(), PAGE));
            if (page.isEmpty()) {
                break;
            }
            for (AuditDao.Chained c : page) {
                if (!walk.check(c)) {
                    break;
                }
            }
            after = page.get(page.size() - 1).seq();
        }
        if (walk.problem == null) {
            walk.finish();
        }
        if (walk.problem == null) {
            store.read(tx -> tx.audit().firstBeyondHead()).ifPresent(seq -> walk.problem = new AuditVerification.Break(
                    seq, null, "the chain goes on past its head: events were inserted"));
        }
        if (walk.problem == null) {
            List<Long> outside = store.read(tx -> tx.audit().unchained(head.legacyUntilId(), 1));
            if (!outside.isEmpty()) {
                walk.problem = new AuditVerification.Break(null, outside.get(0),
                        "this event has no place in the chain: it was inserted outside Rotakey");
            }
        }
        return new AuditVerification(walk.problem == null, walk.events, walk.checkpointsChecked, head.seq(), head.hash(),
                walk.lastCheckpoint == null ? null : walk.lastCheckpoint.seq(),
                walk.lastCheckpoint == null ? null : walk.lastCheckpoint.at(),
                walk.lastCheckpoint == null ? walk.events : walk.events - walk.lastCheckpoint.seq(), walk.problem);
    }

    /** The walk along the chain, with the checkpoints not yet reached. */
    private final class Walk {
        private final AuditChainHead head;
        private final Deque<AuditCheckpoint> pending = new ArrayDeque<>();
        private long checkpointsAfter;
        private boolean checkpointsExhausted;
        private long expected = 1;
        private String prev = ChainLink.GENESIS;
        private long events;
        private long checkpointsChecked;
        private AuditCheckpoint lastCheckpoint;
        private AuditVerification.Break problem;

        Walk(AuditChainHead head) {
            this.head = head;
        }

        boolean check(AuditDao.Chained c) {
            if (c.seq() != expected) {
                return broken(expected, c.id(), c.seq() > expected
                        ? "event " + expected + " is missing: it was deleted (the chain goes on at " + c.seq() + ")"
                        : "event numbers are out of order");
            }
            if (!prev.equals(c.prev())) {
                return broken(c.seq(), c.id(), "this event does not follow the event before it: events were removed, "
                        + "inserted or reordered");
            }
            ChainLink link = ChainLink.of(c.seq(), c.prev(), c.event());
            if (!link.hash().equals(c.hash())) {
                return broken(c.seq(), c.id(), "this event was changed after it was recorded (its hash does not match)");
            }
            prev = c.hash();
            events++;
            expected++;
            return checkpointsAt(c);
        }

        /** Checks the checkpoints of events up to {@code c}'s. */
        private boolean checkpointsAt(AuditDao.Chained c) {
            while (true) {
                Optional<AuditCheckpoint> next = peekCheckpoint();
                if (next.isEmpty() || next.get().seq() > c.seq()) {
                    return true;
                }
                AuditCheckpoint cp = pending.poll();
                if (cp.seq() < c.seq()) {
                    // Its event was passed without it matching: cannot happen unless rows changed while walking.
                    return broken(cp.seq(), null, "a checkpoint names an event the chain does not hold");
                }
                if (!cp.hash().equals(c.hash())) {
                    return broken(cp.seq(), c.id(), "the signed checkpoint of this event names another hash: the chain "
                            + "was rewritten up to here");
                }
                Optional<String> bad = signatureProblem(cp);
                if (bad.isPresent()) {
                    return broken(cp.seq(), null, bad.get());
                }
                checkpointsChecked++;
                lastCheckpoint = cp;
            }
        }

        private Optional<AuditCheckpoint> peekCheckpoint() {
            if (pending.isEmpty() && !checkpointsExhausted) {
                List<AuditCheckpoint> page = store.read(tx -> tx.auditCheckpoints().after(checkpointsAfter, PAGE));
                if (page.isEmpty()) {
                    checkpointsExhausted = true;
                } else {
                    pending.addAll(page);
                    checkpointsAfter = page.get(page.size() - 1).seq();
                }
            }
            return Optional.ofNullable(pending.peek());
        }

        void finish() {
            long last = expected - 1;
            if (last < head.seq()) {
                broken(last + 1, null, "the chain ends at event " + last + " but its head says " + head.seq()
                        + ": the last events were deleted");
            } else if (!prev.equals(head.hash())) {
                broken(last, null, "the chain's head names another hash than its last event's");
            } else {
                // A checkpoint made after the head was read may name a later event: only one beyond the chain breaks it.
                peekCheckpoint().filter(cp -> cp.seq() > head.seq() && store.read(tx -> tx.audit().head()).seq() < cp.seq())
                        .ifPresent(cp -> broken(cp.seq(), null, "a signed checkpoint names event " + cp.seq()
                                + " but the chain ends at " + last + ": events were deleted"));
            }
        }

        private boolean broken(Long seq, Long id, String what) {
            problem = new AuditVerification.Break(seq, id, what);
            return false;
        }
    }

    /** What is wrong with a checkpoint's signature, if anything. */
    private Optional<String> signatureProblem(AuditCheckpoint cp) {
        Optional<SigningKey> key;
        try {
            key = keys.trusted(cp.backend(), cp.keyAlias());
        } catch (RuntimeException e) {
            return Optional.of("cannot check the checkpoint's signature: key backend " + cp.backend() + " is not usable now");
        }
        if (key.isEmpty()) {
            return Optional.of("the checkpoint is signed by key " + cp.keyAlias() + " in backend " + cp.backend()
                    + ", which the configuration does not trust");
        }
        if (!cp.payloadMatches()) {
            return Optional.of("the checkpoint's signed text does not say what its row says");
        }
        if (!key.get().spec().signatureAlgorithm().equals(cp.algorithm())) {
            return Optional.of("the checkpoint names another algorithm than its key's");
        }
        try {
            Signature verifier = Signature.getInstance(cp.algorithm());
            verifier.initVerify(key.get().publicKey());
            verifier.update(cp.payload().getBytes(StandardCharsets.UTF_8));
            return verifier.verify(Base64.getDecoder().decode(cp.signature())) ? Optional.empty()
                    : Optional.of("the checkpoint's signature does not verify");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.of("the checkpoint's signature does not verify");
        }
    }
}
