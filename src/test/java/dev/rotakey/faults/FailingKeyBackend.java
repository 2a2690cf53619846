package dev.rotakey.faults;

import dev.rotakey.backend.ForwardingKeyBackend;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;

import java.util.List;

/**
 * Wraps the real SoftHSM2 backend and, while its {@link Switch} is on, fails the operations that create or
 * destroy key objects and draw randomness, as a token that went away would; HMAC and reads still reach the
 * token, so that verification of existing keys keeps working as with a flaky session.
 */
final class FailingKeyBackend extends ForwardingKeyBackend {
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

    private final Switch failing;

    FailingKeyBackend(KeyBackend delegate, Switch failing) {
        super(delegate);
        this.failing = failing;
    }

    private void maybeFail(String op) {
        if (failing.on()) {
            throw new KeyBackendUnavailableException("key backend '" + name() + "': " + op
                    + " failed: injected CKR_DEVICE_ERROR");
        }
    }

    @Override
    public byte[] randomBytes(int length) {
        maybeFail("random");
        return super.randomBytes(length);
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        maybeFail("create key");
        return super.createSigningKey(alias, spec);
    }

    @Override
    public List<String> signingKeyAliases(String prefix) {
        maybeFail("list keys");
        return super.signingKeyAliases(prefix);
    }

    @Override
    public void destroySigningKey(String alias) {
        maybeFail("destroy key");
        super.destroySigningKey(alias);
    }
}
