package dev.rotakey.faults;

import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;

import java.util.Optional;

/**
 * Wraps the real SoftHSM2 backend and, while its {@link Switch} is on, fails the operations that create or
 * destroy key objects and draw randomness, as a token that went away would; HMAC and reads still reach the
 * token, so that verification of existing keys keeps working as with a flaky session.
 */
final class FailingKeyBackend implements KeyBackend {
    /** Whether token operations fail now; shared across restarts of the daemon. */
    static final class Switch {
        private volatile boolean on;

        void set(boolean failing) {
            on = failing;
        }

        boolean on() {
            return on;
        }
    }

    private final KeyBackend delegate;
    private final Switch failing;

    FailingKeyBackend(KeyBackend delegate, Switch failing) {
        this.delegate = delegate;
        this.failing = failing;
    }

    private void maybeFail(String op) {
        if (failing.on()) {
            throw new KeyBackendUnavailableException("key backend '" + delegate.name() + "': " + op
                    + " failed: injected CKR_DEVICE_ERROR");
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
    public void start() {
        delegate.start();
    }

    @Override
    public BackendStatus reconnect() {
        return delegate.reconnect();
    }

    @Override
    public byte[] randomBytes(int length) {
        maybeFail("random");
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
        maybeFail("create key");
        return delegate.createSigningKey(alias, spec);
    }

    @Override
    public Optional<SigningKey> signingKey(String alias) {
        return delegate.signingKey(alias);
    }

    @Override
    public java.util.List<String> signingKeyAliases(String prefix) {
        maybeFail("list keys");
        return delegate.signingKeyAliases(prefix);
    }

    @Override
    public void destroySigningKey(String alias) {
        maybeFail("destroy key");
        delegate.destroySigningKey(alias);
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
