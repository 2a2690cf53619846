package dev.rotakey.faults;

import dev.rotakey.target.Delivery;
import dev.rotakey.target.Revocation;
import dev.rotakey.target.Target;
import dev.rotakey.target.TargetBinding;
import dev.rotakey.target.TargetException;

import java.util.Set;

/**
 * Wraps a real target (the {@code local-files} one: a disk has no wire to put a proxy on) and, while its
 * {@link Switch} is on, fails the operations that write: deliver, revoke and discard, as a full or read-only
 * disk would. Verify and everything else reach the real target.
 */
final class FailingTarget implements Target {
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

    private final Target delegate;
    private final Switch failing;

    FailingTarget(Target delegate, Switch failing) {
        this.delegate = delegate;
        this.failing = failing;
    }

    private void maybeFail(String op) {
        if (failing.on()) {
            throw new TargetException("target '" + delegate.name() + "': " + op + " failed: injected I/O error (disk full)", true);
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String type() {
        return delegate.type();
    }

    @Override
    public void validateBinding(TargetBinding binding) {
        delegate.validateBinding(binding);
    }

    @Override
    public Set<Character> refusedCharacters(TargetBinding binding) {
        return delegate.refusedCharacters(binding);
    }

    @Override
    public String materialReference(Delivery delivery) {
        return delegate.materialReference(delivery);
    }

    @Override
    public void deliver(Delivery delivery) {
        maybeFail("deliver");
        delegate.deliver(delivery);
    }

    @Override
    public void verify(Delivery delivery) {
        delegate.verify(delivery);
    }

    @Override
    public void revoke(Revocation revocation) {
        maybeFail("revoke");
        delegate.revoke(revocation);
    }

    @Override
    public void discard(Revocation revocation) {
        maybeFail("discard");
        delegate.discard(revocation);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
