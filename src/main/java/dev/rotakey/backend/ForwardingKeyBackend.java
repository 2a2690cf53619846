package dev.rotakey.backend;

import java.util.List;
import java.util.Optional;

/**
 * The base of key backend decorators (operation metrics, the fault model's failing token): every
 * {@link KeyBackend} method goes to the wrapped backend unless a subclass overrides it. Written once
 * here, as {@code targets.ForwardingTarget} is for targets, so that a method added to the interface
 * reaches every decorated backend instead of being forgotten in one of them.
 */
public abstract class ForwardingKeyBackend implements KeyBackend {
    private final KeyBackend delegate;

    protected ForwardingKeyBackend(KeyBackend delegate) {
        this.delegate = delegate;
    }

    /** The backend this one decorates. */
    public KeyBackend delegate() {
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
    public void start() {
        delegate.start();
    }

    @Override
    public BackendStatus reconnect() {
        return delegate.reconnect();
    }

    @Override
    public byte[] randomBytes(int length) {
        return delegate.randomBytes(length);
    }

    @Override
    public byte[] hmac(byte[] data) {
        return delegate.hmac(data);
    }

    @Override
    public String hmacKeyId() {
        return delegate.hmacKeyId();
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        return delegate.createSigningKey(alias, spec);
    }

    @Override
    public Optional<SigningKey> signingKey(String alias) {
        return delegate.signingKey(alias);
    }

    @Override
    public void destroySigningKey(String alias) {
        delegate.destroySigningKey(alias);
    }

    @Override
    public List<String> signingKeyAliases(String prefix) {
        return delegate.signingKeyAliases(prefix);
    }

    @Override
    public String keyUri(String alias) {
        return delegate.keyUri(alias);
    }

    @Override
    public BackendStatus status() {
        return delegate.status();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
