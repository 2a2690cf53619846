package dev.rotakey.backend.pkcs11;

import java.security.GeneralSecurityException;

/** HMAC-SHA256 under a backend's HMAC key on its token, however the connection reaches the key. */
interface TokenHmac {
    byte[] hmac(byte[] data) throws GeneralSecurityException;

    /** Lets go of what the HMAC holds on the token (sessions, a session key); called once, when the connection goes. */
    void close();
}
