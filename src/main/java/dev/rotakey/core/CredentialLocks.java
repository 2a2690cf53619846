package dev.rotakey.core;

import java.util.concurrent.locks.ReentrantLock;

/**
 * In-process mutual exclusion per credential, striped over a fixed number of locks so that
 * memory does not grow with the number of credentials. Across nodes the credential's database
 * row lock and the rotations' optimistic updates do the same job.
 */
public final class CredentialLocks {
    private final ReentrantLock[] stripes;

    public CredentialLocks(int stripes) {
        this.stripes = new ReentrantLock[stripes];
        for (int i = 0; i < stripes; i++) {
            this.stripes[i] = new ReentrantLock();
        }
    }

    public ReentrantLock of(String credentialId) {
        return stripes[Math.floorMod(credentialId.hashCode(), stripes.length)];
    }
}
