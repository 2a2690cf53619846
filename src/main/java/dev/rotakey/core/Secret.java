package dev.rotakey.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Plaintext secret material held only in memory: redacted in {@code toString}, compared in
 * constant time, and wiped with {@link #destroy()} as soon as it is no longer needed.
 */
public final class Secret implements AutoCloseable {
    private final char[] value;
    private volatile boolean destroyed;

    private Secret(char[] value) {
        this.value = value;
    }

    /** Takes ownership of {@code value}: the caller must not keep or clear its own reference. */
    public static Secret wrap(char[] value) {
        return new Secret(value);
    }

    public static Secret of(String value) {
        return new Secret(value.toCharArray());
    }

    /** A copy of the characters; the caller clears it. */
    public char[] chars() {
        checkAlive();
        return value.clone();
    }

    /** The secret as UTF-8 bytes; the caller clears the array. */
    public byte[] utf8() {
        checkAlive();
        ByteBuffer buf = StandardCharsets.UTF_8.encode(CharBuffer.wrap(value));
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        if (buf.hasArray()) {
            Arrays.fill(buf.array(), (byte) 0);
        }
        return out;
    }

    /** Only for the one-time delivery to a target; never log or persist the result. */
    public String reveal() {
        checkAlive();
        return new String(value);
    }

    public int length() {
        return value.length;
    }

    /** Constant-time comparison with the characters of {@code other}. */
    public boolean matches(CharSequence other) {
        checkAlive();
        int diff = value.length ^ other.length();
        for (int i = 0; i < Math.min(value.length, other.length()); i++) {
            diff |= value[i] ^ other.charAt(i);
        }
        return diff == 0;
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    public void destroy() {
        destroyed = true;
        Arrays.fill(value, '\0');
    }

    @Override
    public void close() {
        destroy();
    }

    private void checkAlive() {
        if (destroyed) {
            throw new IllegalStateException("secret has been destroyed");
        }
    }

    @Override
    public String toString() {
        return "Secret[redacted]";
    }
}
