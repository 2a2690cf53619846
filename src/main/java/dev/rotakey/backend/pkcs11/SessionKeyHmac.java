package dev.rotakey.backend.pkcs11;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * HMAC-SHA256 under a session-object copy of the token's HMAC key (C_CopyObject with CKA_TOKEN=false), made when
 * the backend connects and destroyed when the connection goes. SoftHSM2 re-reads a token object's file and takes
 * a lock on it on every use, a third of an API-key verification's time; a session object lives in the module's
 * memory. The copy stays sensitive and non-extractable: PKCS#11 lets a copy only tighten those attributes.
 *
 * <p>The copy belongs to an owner session that only holds it; the HMACs run in a pool of other sessions of the same
 * module (session objects are visible to every session of the process), each used by one thread at a time.
 * The copy disappears with a logout (private session objects do): the HMAC then fails with the token's error and
 * the backend is reconnected, which makes a new copy, as it would re-open a failing token.
 */
final class SessionKeyHmac implements TokenHmac {
    /** Sessions kept open between calls: more than the busiest moment needs; extra ones are closed after use. */
    static final int IDLE_SESSIONS = 32;
    /** Label matches examined at most; a token normally holds one key of a label. */
    private static final int MAX_CANDIDATES = 8;

    private final Pkcs11Calls calls;
    private final long slotId;
    private final long owner;
    private final long key;
    private final Object mechanism;
    private final BlockingQueue<Long> idle = new ArrayBlockingQueue<>(IDLE_SESSIONS);
    private volatile boolean closed;

    private SessionKeyHmac(Pkcs11Calls calls, long slotId, long owner, long key) {
        this.calls = calls;
        this.slotId = slotId;
        this.owner = owner;
        this.key = key;
        this.mechanism = calls.mechanism(Pkcs11Calls.CKM_SHA256_HMAC);
    }

    /**
     * Copies the token's secret key labelled {@code label} into a session object and checks that the copy gives
     * {@code reference}'s HMAC of a probe, so that it is the very key the provider uses (should two objects carry the
     * label, the matching one is taken) and is not extractable.
     *
     * @param reference the HMAC under the token object, as the provider computes it
     * @throws GeneralSecurityException when the token refuses any step or no copy matches; nothing is left behind
     */
    static SessionKeyHmac copy(Pkcs11Calls calls, long slotId, String label, TokenHmac reference)
            throws GeneralSecurityException {
        byte[] probe = "rotakey session key probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] expected = reference.hmac(probe);
        long owner = calls.openSession(slotId);
        try {
            for (long candidate : calls.findTokenSecretKeys(owner, label, MAX_CANDIDATES)) {
                long copy = calls.copyAsSessionObject(owner, candidate);
                SessionKeyHmac hmac = new SessionKeyHmac(calls, slotId, owner, copy);
                if (hmac.isSafe() && MessageDigest.isEqual(expected, hmac.hmac(probe))) {
                    return hmac;
                }
                hmac.closeSessions();
                calls.destroyObject(owner, copy);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            closeQuietly(calls, owner);
            throw e;
        }
        closeQuietly(calls, owner);
        throw new GeneralSecurityException("no session copy of the key labelled '" + label + "' gives its HMAC");
    }

    /** Whether the copy is what the key must stay: sensitive and not extractable (PKCS#11 forbids loosening, but check). */
    private boolean isSafe() throws GeneralSecurityException {
        return calls.booleanAttribute(owner, key, Pkcs11Calls.CKA_SENSITIVE)
                && !calls.booleanAttribute(owner, key, Pkcs11Calls.CKA_EXTRACTABLE)
                && !calls.booleanAttribute(owner, key, Pkcs11Calls.CKA_TOKEN);
    }

    @Override
    public byte[] hmac(byte[] data) throws GeneralSecurityException {
        // Boxed once, when opened: the same Long goes back to the pool, so a call allocates nothing for it.
        Long session = take();
        boolean usable = false;
        try {
            calls.signInit(session, mechanism, key);
            byte[] digest = calls.sign(session, data);
            usable = true;
            return digest;
        } finally {
            if (usable) {
                give(session);
            } else {
                // An operation that failed half-way may have left the session in any state: not used again.
                closeQuietly(calls, session);
            }
        }
    }

    /** The copy's handle: for the tests that check its attributes. */
    long keyHandle() {
        return key;
    }

    /** The owner session, in which the tests read the copy's attributes. */
    long ownerSession() {
        return owner;
    }

    private Long take() throws GeneralSecurityException {
        if (closed) {
            throw new GeneralSecurityException("the HMAC key's session copy is closed");
        }
        Long session = idle.poll();
        if (session != null) {
            return session;
        }
        return Long.valueOf(calls.openSession(slotId));
    }

    private void give(Long session) {
        if (closed || !idle.offer(session)) {
            closeQuietly(calls, session);
        } else if (closed) {
            // close() may have drained the pool just before the offer.
            closeSessions();
        }
    }

    @Override
    public void close() {
        closed = true;
        closeSessions();
        try {
            calls.destroyObject(owner, key);
        } catch (GeneralSecurityException e) {
            // Gone already (a logout destroys private session objects); closing its session would destroy it anyway.
        }
        closeQuietly(calls, owner);
    }

    private void closeSessions() {
        for (Long session = idle.poll(); session != null; session = idle.poll()) {
            closeQuietly(calls, session);
        }
    }

    private static void closeQuietly(Pkcs11Calls calls, long session) {
        try {
            calls.closeSession(session);
        } catch (GeneralSecurityException e) {
            // A session the token already dropped (device reset, logout of a removed token) needs no closing.
        }
    }
}
