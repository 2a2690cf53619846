package dev.rotakey.backend.pkcs11;

import javax.crypto.Mac;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.Provider;

/**
 * HMAC through SunPKCS11's {@link Mac} on the token object itself, one {@code Mac} per thread: the fallback when
 * the token refuses a {@linkplain SessionKeyHmac session copy} of the key. SoftHSM2 re-reads and locks the key's
 * file on every use of a token object, so this is the slow way there.
 */
final class ProviderHmac implements TokenHmac {
    private final Provider provider;
    private final Key key;
    private final ThreadLocal<Mac> macs = new ThreadLocal<>();

    ProviderHmac(Provider provider, Key key) {
        this.provider = provider;
        this.key = key;
    }

    @Override
    public byte[] hmac(byte[] data) throws GeneralSecurityException {
        Mac mac = macs.get();
        try {
            if (mac == null) {
                mac = Mac.getInstance(TokenConnection.MAC_ALGORITHM, provider);
                mac.init(key);
                macs.set(mac);
            }
            return mac.doFinal(data);
        } catch (GeneralSecurityException | RuntimeException e) {
            // A Mac whose operation failed half-way is not trusted again on this thread.
            macs.remove();
            throw e;
        }
    }

    @Override
    public void close() {
        // Nothing of its own on the token: the key is the token object, the sessions are the provider's.
    }
}
