package dev.rotakey.core;

import dev.rotakey.backend.KeyBackend;

import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Digests of credential material under a backend's HMAC key: how Rotakey recognises a key it no
 * longer holds (at verification and at revocation) without ever storing it.
 */
public final class MaterialDigests {
    private MaterialDigests() {
    }

    public static String digest(KeyBackend backend, byte[] material) {
        return HexFormat.of().formatHex(backend.hmac(material));
    }

    /** Whether {@code content} is the material whose digest is {@code expectedHex}; constant time. */
    public static boolean matches(KeyBackend backend, byte[] content, String expectedHex) {
        if (expectedHex == null) {
            return false;
        }
        byte[] actual = backend.hmac(content);
        return MessageDigest.isEqual(actual, HexFormat.of().parseHex(expectedHex));
    }
}
