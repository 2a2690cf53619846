package dev.rotakey.faults;

import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.ForwardingTarget;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetException;

/**
 * Wraps a real target (the {@code local-files} one: a disk has no wire to put a proxy on) and, while its
 * {@link Switch} is on, fails the operations that write: deliver, revoke and discard, as a full or read-only
 * disk would. Verify and everything else reach the real target.
 */
final class FailingTarget extends ForwardingTarget {
    /** Whether writes fail now; shared across restarts of the daemon. */
    static final class Switch {
        private volatile boolean on;

        void set(boolean failing) {
            on = failing;
        }

        boolean on() {
            return on;
        }
    }

    private final Switch failing;

    FailingTarget(Target delegate, Switch failing) {
        super(delegate);
        this.failing = failing;
    }

    private void maybeFail(String op) {
        if (failing.on()) {
            throw new TargetException("target '" + name() + "': " + op + " failed: injected I/O error (disk full)", true);
        }
    }

    @Override
    public void deliver(Delivery delivery) {
        maybeFail("deliver");
        super.deliver(delivery);
    }

    @Override
    public void revoke(Revocation revocation) {
        maybeFail("revoke");
        super.revoke(revocation);
    }

    @Override
    public void discard(Revocation revocation) {
        maybeFail("discard");
        super.discard(revocation);
    }
}
