package dev.rotakey.targets;

import java.util.List;
import java.util.Set;

/**
 * A target that passes every call to another one: the base of decorators (limits, metrics, test faults),
 * which override only what they change. Forwarding lives here once, so that a method added to
 * {@link Target} reaches every decorated target instead of silently falling back to its default.
 */
public abstract class ForwardingTarget implements Target {
    private final Target delegate;

    protected ForwardingTarget(Target delegate) {
        this.delegate = delegate;
    }

    /** The target this one decorates. */
    public Target delegate() {
        return delegate;
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
    public void validateUse(TargetBinding binding, BindingUse use) {
        delegate.validateUse(binding, use);
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
    public List<String> claims(TargetBinding binding) {
        return delegate.claims(binding);
    }

    @Override
    public String login(TargetBinding binding, String credentialId, VersionReferences version) {
        return delegate.login(binding, credentialId, version);
    }

    @Override
    public boolean promoted(Promotion promotion) {
        return delegate.promoted(promotion);
    }

    @Override
    public Endpoint endpoint(TargetBinding binding) {
        return delegate.endpoint(binding);
    }

    @Override
    public void deliver(Delivery delivery) {
        delegate.deliver(delivery);
    }

    @Override
    public void verify(Delivery delivery) {
        delegate.verify(delivery);
    }

    @Override
    public void revoke(Revocation revocation) {
        delegate.revoke(revocation);
    }

    @Override
    public void discard(Revocation revocation) {
        delegate.discard(revocation);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
